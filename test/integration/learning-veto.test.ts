import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadAnalyzer } from "../../src/app.js";
import { readAudioFile16k } from "../../src/audio/decode.js";
import { loadConfig } from "../../src/config/load.js";
import type { Analyzer } from "../../src/inference/types.js";
import { loadPrototypes } from "../../src/learning/prototypes.js";
import { dequantizeEmbedding } from "../../src/learning/quantize.js";
import { analyseStretch } from "../../src/learning/sim/sim-data.js";
import { CryVeto } from "../../src/learning/veto.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { memoryLogger } from "../support/memory-logger.js";

/**
 * The veto with the real YAMNet and the shipped cry prototypes: the windows of a cat marked "not a cry" silence
 * that cat heard again (another level, another background), and never a cry the prototypes were not built from
 * (the examples are not Donate-a-Cry clips).
 */
const SHARED = join(PROJECT_ROOT, "..", "shared");
const CAT = join(SHARED, "data", "household", "cat", "4-133047-A.wav");
const HELD_OUT_CRIES = [
  join(SHARED, "examples", "baby_5000ms.wav"),
  join(SHARED, "examples", "baby_975ms.wav"),
];

let analyzer: Analyzer;
const load = async (p: string) => (await readAudioFile16k(p)).samples;
const embeddings = async (x: Float32Array) =>
  (await analyseStretch(x, analyzer)).map((w) => dequantizeEmbedding(w.embedding));
function withNoise(x: Float32Array, gain: number, noise: number, seed: number): Float32Array {
  let s = seed;
  return x.map((v) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return v * gain + ((s / 2 ** 32) * 2 - 1) * noise;
  });
}

describe("not-a-cry veto on real embeddings", () => {
  before(async () => {
    analyzer = await loadAnalyzer(loadConfig({ env: {} }).config.inference, memoryLogger("fatal").log);
  });
  after(() => analyzer.dispose());

  it("marking a cat silences that cat again but not a held-out cry", async () => {
    const cat = await load(CAT);
    const veto = CryVeto.train(await embeddings(cat), loadPrototypes());
    assert.ok(veto.size > 0, "the cat's windows are used");
    const again = await embeddings(withNoise(cat, 0.5, 0.003, 11));
    const silenced = again.filter((e) => veto.vetoes(e)).length;
    assert.ok(silenced >= 3, `the cat again: ${silenced}/${again.length} windows vetoed`);
    for (const file of HELD_OUT_CRIES) {
      for (const [gain, noise] of [
        [1, 0],
        [0.5, 0.003],
      ]) {
        const cry = await embeddings(withNoise(await load(file), gain, noise, 5));
        assert.equal(
          cry.filter((e) => veto.vetoes(e)).length,
          0,
          `${file} at gain ${gain}: no window vetoed`,
        );
      }
    }
  });
});
