import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readAudioFile16k } from "../../src/audio/decode.js";
import { WindowCutter } from "../../src/detection/windows.js";
import { createAnalyzer, type YamnetAnalyzer } from "../../src/inference/analyzer.js";
import { PROJECT_ROOT } from "../../src/version.js";

/**
 * The shipped heads on clips they never trained on (manifest `heldOut.clips`: the toddler, the ESC-50 cats, one
 * speaker and a few cry families), through the daemon's analyzer with real YAMNet weights. A clip's cry
 * probability is the mean over its 0.975 s windows at the daemon's 0.48 s hop (what `babymon classify` reports
 * as `cry.heads`).
 */
const HEADS_DIR = join(PROJECT_ROOT, "models", "babymon-heads");
const SHARED = join(PROJECT_ROOT, "..", "shared");
interface HeldOutClip {
  file: string;
  kind: "cry" | "negative";
  category: string | null;
}
const manifest = JSON.parse(readFileSync(join(HEADS_DIR, "manifest.json"), "utf8")) as {
  bandLimitHz: number;
  heldOut: { sources: string[]; clips: HeldOutClip[] };
};

let analyzer: YamnetAnalyzer;
before(async () => {
  analyzer = await createAnalyzer({ heads: HEADS_DIR, backend: "wasm" });
});
after(() => analyzer?.dispose());

async function clipProbability(file: string): Promise<number> {
  const { samples } = await readAudioFile16k(join(SHARED, file));
  const windows: Float32Array[] = [];
  const cutter = new WindowCutter(0.48);
  cutter.push(samples, (w) => windows.push(w.samples.slice()));
  if (windows.length === 0) {
    const padded = new Float32Array(15600);
    padded.set(samples.subarray(0, 15600));
    windows.push(padded);
  }
  const out = await analyzer.analyze(windows);
  return out.reduce((s, a) => s + a.cry, 0) / out.length;
}

describe("shipped heads on held-out clips", () => {
  it("need one full-band YAMNet pass", () => {
    assert.equal(manifest.bandLimitHz, 0);
    assert.equal(analyzer.bandLimitHz, 0);
  });

  for (const category of ["speech", "cat", "toddler"]) {
    it(`give cry probability < 0.5 on every held-out ${category} clip`, async () => {
      const clips = manifest.heldOut.clips.filter((c) => c.category === category);
      assert.ok(clips.length > 0, `no held-out ${category} clip in the manifest`);
      const high: string[] = [];
      for (const c of clips) {
        const p = await clipProbability(c.file);
        if (p >= 0.5) high.push(`${c.file}: ${p.toFixed(3)}`);
      }
      assert.deepEqual(high, [], `${high.length} of ${clips.length} ${category} clips at ≥ 0.5`);
    });
  }

  it("give cry probability > 0.9 on every held-out cry clip", async () => {
    const clips = manifest.heldOut.clips.filter((c) => c.kind === "cry");
    assert.ok(clips.length >= 4, "too few held-out cry clips in the manifest");
    const low: string[] = [];
    for (const c of clips) {
      const p = await clipProbability(c.file);
      if (p <= 0.9) low.push(`${c.file}: ${p.toFixed(3)}`);
    }
    assert.deepEqual(low, [], `${low.length} of ${clips.length} cry clips at ≤ 0.9`);
  });
});
