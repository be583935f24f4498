import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { PATCH_HOP_SAMPLES, PATCH_WINDOW_SAMPLES } from "../../src/dsp/frontend-params.js";
import { activeCryPatches, patchLevelsDb } from "../../src/train/activity.js";
import { applyAugmentation } from "../../src/train/augment.js";
import { FitCache } from "../../src/train/fit-cache.js";
import { buildHead, DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../../src/train/trainer.js";

/** 4.8 s at 16 kHz: a loud burst in 2.4–3.36 s, quiet room tone elsewhere. */
function burstClip(): Float32Array {
  const x = new Float32Array(16000 * 4.8);
  for (let i = 0; i < x.length; i++) {
    const loud = i >= 38400 && i < 53760;
    x[i] = (loud ? 0.3 : 0.001) * Math.sin(i * 0.37);
  }
  return x;
}

test("patch levels follow the audio under each kept patch, shifted like an augmented copy", () => {
  const x = burstClip();
  const patches = 1 + Math.floor((x.length - PATCH_WINDOW_SAMPLES) / PATCH_HOP_SAMPLES);
  const levels = patchLevelsDb(x, patches, 1);
  // patches start every 0.48 s: patch 5 lies on the burst (~50 dB louder), patches 0–2 and the last miss it
  assert.equal(patches, 8);
  for (const quiet of [0, 1, 2, 7])
    assert.ok(levels[5] > levels[quiet] + 40, `burst ${levels[5]} vs ${levels[quiet]}`);
  // an augmented copy (circular shift) has its quiet patches where the shifted audio is quiet
  const shift = 7000;
  const copy = applyAugmentation(x, null, {
    source: "a",
    noise: null,
    gainDb: 3,
    shift,
    snrDb: 10,
    noiseOffset: 0,
  });
  const direct = patchLevelsDb(copy, patches, 2);
  const fromClean = patchLevelsDb(x, patches, 2, shift);
  for (let k = 0; k < Math.ceil(patches / 2); k++) assert.ok(Math.abs(direct[k] - 3 - fromClean[k]) < 0.01);
});

test("only patches within N dB of the clip's loudest count as crying", () => {
  const active = activeCryPatches(Float32Array.from([-20, -30, -36, -50, -21]), 15);
  assert.deepEqual([...active], [1, 1, 0, 0, 1]);
  // a clip shorter than one window is one zero-padded patch, active
  assert.deepEqual([...activeCryPatches(patchLevelsDb(new Float32Array(8000).fill(0.1), 1, 1), 15)], [1]);
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("a cached fit restores the same weights; another key, a damaged file or other code trains afresh", async () => {
  await tf.setBackend("cpu");
  const dir = mkdtempSync(join(tmpdir(), "babymon-fits-"));
  dirs.push(dir);
  const opts: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, kind: "fc", seed: 3, mapShape: [6, 4, 512] };
  const cache = new FitCache(dir, "code-a");
  const trained = buildHead(opts);
  const key = cache.key({ opts, train: "t", val: "v" });
  cache.save(key, trained, { history: [], bestEpoch: 4 });

  const restored = buildHead({ ...opts, seed: 9 }); // other initial weights
  assert.deepEqual(cache.load(key, restored), { history: [], bestEpoch: 4 });
  const a = trained.getWeights().map((w) => [...w.dataSync()]);
  const b = restored.getWeights().map((w) => [...w.dataSync()]);
  assert.deepEqual(b, a);

  assert.equal(cache.load(cache.key({ opts, train: "t2", val: "v" }), restored), null);
  assert.notEqual(new FitCache(dir, "code-b").key({ opts, train: "t", val: "v" }), key);
  const [file] = readdirSync(dir);
  writeFileSync(join(dir, file), "{ not json");
  assert.equal(cache.load(key, restored), null);
  assert.deepEqual([cache.hits, cache.misses], [1, 2]);
});
