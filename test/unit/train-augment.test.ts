import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type AugmentableClip,
  applyAugmentation,
  applyQuietLevel,
  copiesForTraining,
  planFoldAugmentations,
  planQuietCopies,
} from "../../src/train/augment.js";
import { foldIndices, groupedHoldout, groupedStratifiedFolds } from "../../src/train/split.js";

const labels = ["hungry", "tired", "noise", "laugh"] as const;
const clipsArb = fc.array(
  fc.record({ group: fc.integer({ min: 0, max: 30 }), label: fc.constantFrom(...labels) }),
  { minLength: 20, maxLength: 150 },
);

test("augmentation never touches validation or test clips, as source or as noise", () => {
  fc.assert(
    fc.property(
      clipsArb,
      fc.integer({ min: 2, max: 5 }),
      fc.integer(),
      fc.boolean(),
      (raw, k, seed, negatives) => {
        const clips: Array<AugmentableClip & { group: string; path: string | null }> = raw.map((r, id) => ({
          id,
          relPath: `${r.label}/${id}.wav`,
          path: `/data/${r.label}/${id}.wav`,
          isCry: r.label === "hungry" || r.label === "tired",
          label: r.label,
          group: `g${r.group}`,
        }));
        const byRel = new Map(clips.map((c) => [c.relPath, c]));
        const holdout = groupedHoldout(clips, 0.2, seed);
        const trainDev = holdout.train;
        const test = new Set(holdout.heldOut);
        const folds = groupedStratifiedFolds(
          trainDev.map((i) => clips[i]),
          k,
          seed + 1,
        );
        const foldOf = new Map(trainDev.map((id, j) => [id, folds[j]]));
        const plan = planFoldAugmentations(clips, trainDev, foldOf, seed, undefined, negatives);
        const cryOnly = planFoldAugmentations(clips, trainDev, foldOf, seed);
        assert.deepEqual(
          plan.slice(0, cryOnly.length),
          cryOnly,
          "negatives leave the cry copies as they were",
        );
        const sources = plan.map((a) => byRel.get(a.source)!);
        assert.equal(
          sources.filter((c) => !c.isCry).length,
          negatives ? trainDev.filter((i) => !clips[i].isCry).length : 0,
          "with negatives every training household and laughter clip gets one copy, else none does",
        );
        assert.ok(
          plan.every((a) => a.noise !== a.source),
          "a clip mixed with itself",
        );
        const copies = plan.map((aug) => ({ clip: byRel.get(aug.source)!.id, aug }));
        const quiet = planQuietCopies(clips, trainDev, seed, "all").map((q) => ({
          clip: byRel.get(q.source)!.id,
          q,
        }));
        assert.equal(quiet.length, trainDev.length, "every training clip, of every class, gets a quiet copy");
        for (const c of quiet) {
          assert.ok(!test.has(c.clip), "a test clip got a quiet copy");
          assert.ok(c.q.levelDbfs >= -60 && c.q.levelDbfs <= -30, `level ${c.q.levelDbfs}`);
        }
        const household = planQuietCopies(clips, trainDev, seed, "household");
        assert.ok(household.every((q) => byRel.get(q.source)!.label === "noise"));
        for (let f = 0; f < k; f++) {
          const trainingIds = new Set(foldIndices(folds, f).train.map((j) => trainDev[j]));
          for (const c of copiesForTraining(quiet, trainingIds)) assert.ok(trainingIds.has(c.clip));
        }
        for (const c of copies) {
          assert.ok(!test.has(c.clip), "a test clip was augmented");
          if (c.aug.noise) assert.ok(!test.has(byRel.get(c.aug.noise)!.id), "test audio mixed into training");
        }
        for (let f = 0; f < k; f++) {
          const { train } = foldIndices(folds, f);
          const trainingIds = new Set(train.map((j) => trainDev[j]));
          for (const c of copiesForTraining(copies, trainingIds)) {
            assert.ok(trainingIds.has(c.clip));
            if (c.aug.noise) {
              const noise = byRel.get(c.aug.noise)!.id;
              assert.ok(
                trainingIds.has(noise),
                `fold ${f}: noise ${c.aug.noise} comes from the validation fold`,
              );
            }
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("applyAugmentation mixes noise at the planned SNR and keeps the clip's length", () => {
  const n = 16000;
  const clip = Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000));
  const noise = Float32Array.from({ length: 8000 }, (_, i) => ((i * 7919) % 101) / 101 - 0.5);
  const out = applyAugmentation(clip, noise, {
    source: "a",
    noise: "b",
    gainDb: 0,
    shift: 0,
    snrDb: 10,
    noiseOffset: 0,
  });
  assert.equal(out.length, n);
  const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  const residual = out.map((v, i) => v - clip[i]);
  const snr = 20 * Math.log10(rms(clip) / rms(residual));
  assert.ok(Math.abs(snr - 10) < 0.5, `SNR ${snr.toFixed(2)} dB, planned 10 dB`);
  const shifted = applyAugmentation(clip, null, {
    source: "a",
    noise: null,
    gainDb: -6,
    shift: 100,
    snrDb: 0,
    noiseOffset: 0,
  });
  assert.ok(Math.abs(shifted[0] - clip[100] * 10 ** (-6 / 20)) < 1e-6);
});

test("applyQuietLevel plays the clip at the planned RMS level, shifted", () => {
  const clip = Float32Array.from(
    { length: 16000 },
    (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000),
  );
  const [q] = planQuietCopies(
    [{ id: 0, relPath: "noise/a.wav", isCry: false, label: "noise" }],
    [0],
    5,
    "all",
  );
  const out = applyQuietLevel(clip, q);
  const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  assert.equal(out.length, clip.length);
  assert.ok(Math.abs(20 * Math.log10(rms(out)) - q.levelDbfs) < 0.01);
  const g = 10 ** (q.levelDbfs / 20) / rms(clip);
  assert.ok(Math.abs(out[7] - clip[(7 + q.shift) % clip.length] * g) < 1e-7);
  assert.throws(() => applyQuietLevel(new Float32Array(100), q), /digital silence/);
});
