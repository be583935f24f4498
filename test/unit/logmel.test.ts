import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { PATCH_SIZE, PATCH_WINDOW_SAMPLES } from "../../src/dsp/frontend-params.js";
import { LogMelFrontend } from "../../src/dsp/logmel.js";
import { readWholeFile } from "../support/read-audio.js";

const SHARED = new URL("../../../shared/", import.meta.url);
interface Golden {
  files: Record<string, { frames: number; bands: number; logmel: number[][] }>;
  melMatrix: { shape: [number, number]; values: number[][] };
}
const golden = JSON.parse(readFileSync(new URL("golden/yamnet-logmel.json", SHARED), "utf8")) as Golden;
const frontend = new LogMelFrontend();

test("each mel band weighs the spectrum as the golden tf.signal.linear_to_mel_weight_matrix", () => {
  // An impulse at the centre of a 400-sample frame (Hann weight 1) has magnitude 1 in every FFT bin, so band b
  // holds log(Σ_bins m[bin][b] + 0.001): the column sums of the mel matrix.
  const impulse = new Float32Array(400);
  impulse[200] = 1;
  const { data, frames } = frontend.frames(impulse);
  assert.equal(frames, 1);
  const [bins, bands] = golden.melMatrix.shape;
  assert.equal(data.length, bands);
  let maxRelDiff = 0;
  for (let b = 0; b < bands; b++) {
    let expected = 0;
    for (let i = 0; i < bins; i++) expected += golden.melMatrix.values[i][b];
    maxRelDiff = Math.max(maxRelDiff, Math.abs(Math.exp(data[b]) - 0.001 - expected) / expected);
  }
  assert.ok(maxRelDiff <= 1e-5, `max relative diff ${maxRelDiff}`);
});

for (const name of Object.keys(golden.files)) {
  test(`log-mel of ${name} matches the golden to ≤ 1e-4`, async () => {
    const ref = golden.files[name];
    const clip = await readWholeFile(new URL(`examples/${name}`, SHARED).pathname);
    assert.equal(clip.sampleRate, 16000);
    const { data, frames } = frontend.frames(clip.samples);
    assert.equal(frames, ref.frames);
    let maxDiff = 0;
    for (let f = 0; f < frames; f++) {
      for (let b = 0; b < ref.bands; b++)
        maxDiff = Math.max(maxDiff, Math.abs(data[f * 64 + b] - ref.logmel[f][b]));
    }
    console.log(`# ${name}: ${frames} frames, max abs diff vs golden ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-4, `max abs diff ${maxDiff}`);
  });
}

test("patches are 96-frame slices at hop 48 and the patch of a window equals the matching patch", async () => {
  const clip = await readWholeFile(new URL("examples/speech.wav", SHARED).pathname);
  const s = clip.samples;
  assert.equal(s.length, 68360);
  const patches = frontend.patches(s);
  const { data, frames } = frontend.frames(s);
  assert.equal(frames, 1 + Math.floor((68360 - 400) / 160)); // 425
  assert.equal(patches.length, 1 + Math.floor((frames - 96) / 48)); // 7
  for (const [i, p] of patches.entries()) {
    assert.equal(p.length, PATCH_SIZE);
    assert.deepEqual(p, data.slice(i * 48 * 64, (i * 48 + 96) * 64));
  }
  const k = 3;
  const window = s.slice(k * 7680, k * 7680 + PATCH_WINDOW_SAMPLES);
  assert.deepEqual(frontend.patch(window), patches[k]);
  assert.throws(() => frontend.patch(new Float32Array(100)), /Expected `window` to have 15600 samples/);
});

test("silence gives log(0.001) everywhere and a pure tone peaks in the mel band holding its frequency", () => {
  const silent = frontend.patch(new Float32Array(PATCH_WINDOW_SAMPLES));
  for (const v of silent) assert.ok(Math.abs(v - Math.log(0.001)) < 1e-6);
  const tone = new Float32Array(PATCH_WINDOW_SAMPLES);
  for (let i = 0; i < tone.length; i++) tone[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 16000);
  const p = frontend.patch(tone);
  const m = golden.melMatrix.values;
  const bin = Math.round((1000 / 8000) * 256);
  let expected = 0;
  for (let b = 1; b < 64; b++) if (m[bin][b] > m[bin][expected]) expected = b;
  let best = 0;
  for (let b = 1; b < 64; b++) if (p[50 * 64 + b] > p[50 * 64 + best]) best = b;
  assert.equal(best, expected);
});
