import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../../src/inference/backend.js";
import { classesLogit } from "../../src/inference/detector.js";
import { seededDropout } from "../../src/inference/head-layers.js";
import { loadHeads } from "../../src/inference/heads.js";
import {
  EMBEDDING_DIM,
  evidenceHeadModel,
  evidenceInputs,
  evidenceLogits,
  fitEvidenceHead,
  LOGIT_SCALE,
  linearClassWeights,
  YAMNET_CLASSES,
  type YamnetClassifier,
} from "../../src/train/evidence-head.js";
import { saveQuantizedModel } from "../../src/train/export.js";
import { mulberry32 } from "../../src/train/random.js";

const SHA = "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194";
let dir: string;
const rand = mulberry32(5);
/** a stand-in for YAMNet's classifier: small random weights (the head treats it as a frozen layer either way) */
const classifier: YamnetClassifier = {
  kernel: Float32Array.from({ length: EMBEDDING_DIM * YAMNET_CLASSES }, () => (rand() - 0.5) * 0.02),
  bias: Float32Array.from({ length: YAMNET_CLASSES }, () => rand() - 0.5),
};
/** embeddings whose class is in the first 8 dimensions (high for "cry"), the rest noise */
function data(n: number) {
  const embeddings = new Float32Array(n * EMBEDDING_DIM);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let k = 0; k < EMBEDDING_DIM; k++)
      embeddings[i * EMBEDDING_DIM + k] = rand() + (k < 8 && labels[i] === 1 ? 1.5 : 0);
  }
  return { embeddings, labels, weights: new Float32Array(n).fill(1) };
}

const manifest = (extra: object) => ({
  format: "babymon-heads",
  formatVersion: 1,
  name: "evidence-test",
  version: "t",
  labels: { reasons: ["hungry", "belly_pain", "burping", "discomfort", "tired"], nonCry: ["speech"] },
  yamnet: { sourceSha256: SHA, sourceFile: "yamnet-frames-dynamic-int8.tflite" },
  frontend: { sampleRate: 16000 },
  bandLimitHz: 0,
  heads: { fc: ["fc"] },
  combination: {
    cry: { fcWeight: 1, scale: 1.5, bias: -0.25 },
    reason: { fcWeight: 1, temperature: 1000, bias: [0, -1, -2, -1, -1] },
  },
  thresholds: { cry: 0.5, unsure: 1 },
  ...extra,
});

before(async () => {
  await selectBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "babymon-evidence-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("the evidence head learns a separable cry and the daemon's loader computes the same probability", async () => {
  const raw = data(400);
  const train = { ...raw, inputs: evidenceInputs(raw.embeddings, classifier) };
  const w = fitEvidenceHead(train, {
    activation: "relu",
    embedding: true,
    hidden: 8,
    epochs: 8,
    batchSize: 64,
    learningRate: 5e-3,
    l2: 1e-5,
    dropout: 0,
    seed: 3,
  });
  const test = data(100);
  const z = evidenceLogits(evidenceInputs(test.embeddings, classifier), w);
  const correct = test.labels.filter((y, i) => (z[i] > 0 ? 1 : 0) === y).length;
  assert.ok(correct >= 95, `only ${correct}/100 held-out synthetic windows right`);

  const out = join(dir, "heads");
  const model = evidenceHeadModel(classifier, w, 5);
  await saveQuantizedModel(model, join(out, "fc"));
  model.dispose();
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest({})));
  const specs = JSON.parse(readFileSync(join(out, "fc", "model.json"), "utf8")).weightsManifest[0]
    .weights as Array<{
    name: string;
    quantization?: unknown;
  }>;
  assert.equal(
    specs.find((s) => s.name.includes("yamnet_classifier") && s.name.includes("kernel"))?.quantization,
    undefined,
  );
  assert.ok(specs.find((s) => s.name.includes("evidence_hidden") && s.name.includes("kernel"))?.quantization);

  const heads = await loadHeads(out, SHA);
  assert.deepEqual(heads.featureLayers, []);
  assert.equal(heads.bandLimitHz, 0);
  const outputs = Array.from({ length: 20 }, (_, i) => ({
    scores: new Float32Array(521),
    embedding: test.embeddings.slice(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM),
  }));
  const p = heads.predict(outputs);
  for (let i = 0; i < 20; i++) {
    const expected = 1 / (1 + Math.exp(-(1.5 * z[i] - 0.25)));
    assert.ok(Math.abs(p[i].cry - expected) < 0.02, `window ${i}: ${p[i].cry} vs ${expected}`);
    assert.ok(Math.abs(p[i].reasons.hungry - 1 / (1 + Math.exp(-1) * 3 + Math.exp(-2))) < 1e-3);
  }
  heads.dispose();
});

test("heads without MobileNetV3 members must weigh the FC heads alone", async () => {
  const out = join(dir, "bad");
  const model = evidenceHeadModel(
    classifier,
    {
      hidden: 2,
      activation: "relu",
      w1: new Float32Array((EMBEDDING_DIM + YAMNET_CLASSES) * 2),
      b1: new Float32Array(2),
      w2: new Float32Array(2),
      b2: 0,
    },
    5,
  );
  await saveQuantizedModel(model, join(out, "fc"));
  model.dispose();
  const m = manifest({});
  m.combination.cry.fcWeight = 0.2;
  writeFileSync(join(out, "manifest.json"), JSON.stringify(m));
  await assert.rejects(loadHeads(out, SHA), /fcWeight.*must be 1 without MobileNetV3/);
});

const CRY_CLASSES = [19, 20, 21, 22];

/** A linear head over CRY_CLASSES of `classifier`, and its training set. */
function classHead() {
  const raw = data(200);
  const train = { ...raw, inputs: evidenceInputs(raw.embeddings, classifier) };
  const w = fitEvidenceHead(train, {
    activation: "linear",
    embedding: false,
    classes: CRY_CLASSES,
    hidden: 4,
    epochs: 2,
    batchSize: 64,
    learningRate: 5e-3,
    l2: 1e-5,
    dropout: 0,
    seed: 3,
  });
  return { w, train };
}

test("a head over chosen class logits gives every other input weight 0", () => {
  const { w } = classHead();
  const classes = CRY_CLASSES;
  let read = 0;
  for (let d = 0; d < EMBEDDING_DIM + YAMNET_CLASSES; d++) {
    const row = w.w1.subarray(d * 4, (d + 1) * 4);
    const used = row.some((x) => x !== 0);
    const chosen = d >= EMBEDDING_DIM && classes.includes(d - EMBEDDING_DIM);
    assert.equal(used, chosen, `input ${d}: weights ${Array.from(row)}`);
    if (used) read++;
  }
  assert.equal(read, classes.length);
});

test("a linear head over class logits is one weight per class: the daemon's classes detector gives its logit", () => {
  const { w, train } = classHead();
  const c = linearClassWeights(w, CRY_CLASSES);
  assert.deepEqual(c.indices, CRY_CLASSES);
  const expected = evidenceLogits(train.inputs, w);
  const n = train.labels.length;
  const INPUT = EMBEDDING_DIM + YAMNET_CLASSES;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    // the daemon's logits: YAMNet's, unscaled (the head's input holds them × LOGIT_SCALE)
    const logits = train.inputs
      .subarray(i * INPUT + EMBEDDING_DIM, (i + 1) * INPUT)
      .map((v) => v / LOGIT_SCALE);
    worst = Math.max(worst, Math.abs(classesLogit(logits, c) - expected[i]));
  }
  assert.ok(worst < 1e-3, `largest difference ${worst}`);
  assert.throws(
    () => linearClassWeights(w, [19, 20]),
    /input 1045 \(class 21\) a weight; only classes 19, 20/,
  );
  assert.throws(
    () => linearClassWeights({ ...w, activation: "relu" }, CRY_CLASSES),
    /a relu head is not a linear/,
  );
});

test("with dropout, two fits from one seed give the same weights, and the mask changes from step to step", () => {
  const raw = data(200);
  const train = { ...raw, inputs: evidenceInputs(raw.embeddings, classifier) };
  const fit = (seed: number) =>
    fitEvidenceHead(train, {
      activation: "relu",
      embedding: true,
      hidden: 8,
      epochs: 2,
      batchSize: 64,
      learningRate: 5e-3,
      l2: 1e-5,
      dropout: 0.3,
      seed,
    });
  const a = fit(3);
  assert.deepEqual(fit(3).w2, a.w2);
  assert.notDeepEqual(fit(4).w2, a.w2);

  const rand = mulberry32(1);
  const ones = tf.ones([4, 64]);
  const masks = [0, 1].map((_) => Array.from(seededDropout(ones, 0.5, rand).dataSync()));
  assert.notDeepEqual(masks[0], masks[1]);
  const again = mulberry32(1);
  assert.deepEqual(Array.from(seededDropout(ones, 0.5, again).dataSync()), masks[0]);
});
