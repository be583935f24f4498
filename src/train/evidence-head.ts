import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { seededDropout } from "../inference/head-layers.js";
import { dequantizeKernel, readFloats, readManifest, readWeights } from "../inference/yamnet-store.js";
import { mulberry32 } from "./random.js";
import { type FitSettings, fitWeighted, foldStandardisation, glorot } from "./weighted-fit.js";

/**
 * The "evidence head": a small dense network over [YAMNet embedding ‖ YAMNet's own 521 class logits]. The class
 * logits are YAMNet's frozen classifier applied to the embedding inside the head, so the head reads what YAMNet
 * learned from AudioSet (a cat, speech, music, crying) as features, and the daemon feeds it nothing but the
 * embedding of one full-band YAMNet pass. Trained on full-band and 4 kHz band-limited copies of every window alike,
 * so bandwidth tells it nothing.
 */

export const EMBEDDING_DIM = 1024;
export const YAMNET_CLASSES = 521;
/** the class logits enter the head scaled by this (they span about −20…+10; the embedding 0…3) */
export const LOGIT_SCALE = 0.25;

export interface YamnetClassifier {
  /** 1024 × 521, row-major */
  kernel: Float32Array;
  bias: Float32Array;
}

/** YAMNet's dense classifier (the last layer of models/yamnet), dequantized. */
export function yamnetClassifier(dir: string): YamnetClassifier {
  const manifest = readManifest(dir);
  if (!manifest) throw new Error(`${dir}: no YAMNet manifest.json (run \`npm run models\`)`);
  const dense = manifest.layers.find((l) => l.op === "dense");
  if (!dense) throw new Error(`${dir}/manifest.json: no dense classifier layer`);
  const weights = readWeights(dir, manifest);
  return { kernel: dequantizeKernel(weights, dense).slice(), bias: readFloats(weights, dense.bias) };
}

export interface EvidenceHeadOptions extends FitSettings {
  hidden: number;
  /** of the hidden layer: relu (a small MLP) or linear (a learned linear combination of the evidence) */
  activation: "relu" | "linear";
  /** read the embedding too (else only YAMNet's class logits) */
  embedding: boolean;
  /** read only these of YAMNet's class logits (indices into the 521; default all) */
  classes?: readonly number[];
}

export const DEFAULT_EVIDENCE_HEAD: EvidenceHeadOptions = {
  hidden: 32,
  activation: "relu",
  embedding: true,
  epochs: 8,
  batchSize: 512,
  learningRate: 3e-3,
  l2: 1e-3,
  dropout: 0.3,
  seed: 1,
};

/** Trained weights of the head's own layers (the frozen classifier is YAMNet's). */
export interface EvidenceHeadWeights {
  hidden: number;
  activation: "relu" | "linear";
  /** (1024 + 521) × hidden */
  w1: Float32Array;
  b1: Float32Array;
  /** hidden */
  w2: Float32Array;
  b2: number;
}

/** Width of the head's input: the embedding and YAMNet's class logits. */
export const INPUT_DIM = EMBEDDING_DIM + YAMNET_CLASSES;

export interface TrainingSet {
  /** n × INPUT_DIM head inputs (evidenceInputs) */
  inputs: Float32Array;
  /** 1 cry, 0 not */
  labels: Uint8Array;
  /** per-sample loss weight */
  weights: Float32Array;
}

/**
 * The head's input of n embeddings (n × 1024): [embedding ‖ LOGIT_SCALE × YAMNet's class logits], n × INPUT_DIM.
 * Computed once per window, so training epochs cost only the head's own layers.
 */
export function evidenceInputs(embeddings: Float32Array, classifier: YamnetClassifier): Float32Array {
  const n = embeddings.length / EMBEDDING_DIM;
  const out = new Float32Array(n * INPUT_DIM);
  const k = tf.tensor2d(classifier.kernel, [EMBEDDING_DIM, YAMNET_CLASSES]);
  const b = tf.tensor1d(classifier.bias);
  for (let s = 0; s < n; s += 512) {
    const m = Math.min(512, n - s);
    const emb = embeddings.subarray(s * EMBEDDING_DIM, (s + m) * EMBEDDING_DIM);
    const logits = tf.tidy(() =>
      tf.mul(tf.add(tf.matMul(tf.tensor2d(emb, [m, EMBEDDING_DIM]), k), b), LOGIT_SCALE).dataSync(),
    );
    for (let i = 0; i < m; i++) {
      out.set(emb.subarray(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM), (s + i) * INPUT_DIM);
      out.set(
        logits.subarray(i * YAMNET_CLASSES, (i + 1) * YAMNET_CLASSES),
        (s + i) * INPUT_DIM + EMBEDDING_DIM,
      );
    }
  }
  k.dispose();
  b.dispose();
  return out;
}

/** Per-feature mean and standard deviation of the head's inputs. */
function inputMoments(x: Float32Array): { mean: Float32Array; std: Float32Array } {
  const n = x.length / INPUT_DIM;
  const sum = new Float64Array(INPUT_DIM);
  const sq = new Float64Array(INPUT_DIM);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < INPUT_DIM; d++) {
      const v = x[i * INPUT_DIM + d];
      sum[d] += v;
      sq[d] += v * v;
    }
  const mean = Float32Array.from(sum, (v) => v / n);
  const std = Float32Array.from(sq, (v, d) => Math.sqrt(Math.max(v / n - mean[d] ** 2, 0)));
  return { mean, std };
}

/**
 * Inputs that (nearly) never vary in training — embedding units that stay 0 on every training window — are left out
 * of the head (weight 0): their weights would get no gradient, and, divided by a tiny deviation when the
 * standardisation is folded in, a sound that does move them would swing the logit by hundreds.
 */
export const MIN_INPUT_STD = 0.01;

type Params = { w1: tf.Tensor2D; b1: tf.Tensor1D; w2: tf.Tensor2D; b2: tf.Tensor1D };

/** The cry logits; `dropout` in training only. */
function forward(
  x: tf.Tensor2D,
  v: Params,
  activation: "relu" | "linear",
  dropout?: { rate: number; rand: () => number },
): tf.Tensor1D {
  const z = tf.add(tf.matMul(x, v.w1), v.b1);
  const a = activation === "relu" ? tf.relu(z) : z;
  const h = dropout ? seededDropout(a, dropout.rate, dropout.rand) : a;
  return tf.reshape(tf.add(tf.matMul(h, v.w2), v.b2), [-1]) as tf.Tensor1D;
}

/**
 * Fits the head (Adam, weighted sigmoid cross-entropy, L2) and returns its weights. It trains on standardised inputs
 * (raw, the embedding is ≥ 0 and the logits far from 0, and the ReLUs die); the standardisation is then folded into
 * the first layer, so the returned weights take the raw input.
 */
export function fitEvidenceHead(
  set: TrainingSet,
  o: EvidenceHeadOptions = DEFAULT_EVIDENCE_HEAD,
  log?: (line: string) => void,
): EvidenceHeadWeights {
  const n = set.labels.length;
  const rand = mulberry32(o.seed);
  const moments = inputMoments(set.inputs);
  // inputs the head does not read (the embedding, class logits not in `classes`) are left out as if they never varied
  if (!o.embedding) moments.std.fill(0, 0, EMBEDDING_DIM);
  if (o.classes) {
    const read = new Set(o.classes);
    for (let c = 0; c < YAMNET_CLASSES; c++) if (!read.has(c)) moments.std[EMBEDDING_DIM + c] = 0;
  }
  const v = {
    w1: tf.variable(glorot(INPUT_DIM, o.hidden, rand)),
    b1: tf.variable(tf.zeros([o.hidden]) as tf.Tensor1D),
    w2: tf.variable(glorot(o.hidden, 1, rand)),
    b2: tf.variable(tf.zeros([1]) as tf.Tensor1D),
  };
  // standardised once, up front (per step it cost more than the head itself)
  const x = new Float32Array(set.inputs.length);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < INPUT_DIM; d++)
      x[i * INPUT_DIM + d] =
        moments.std[d] < MIN_INPUT_STD
          ? 0
          : (set.inputs[i * INPUT_DIM + d] - moments.mean[d]) / moments.std[d];
  const batch = new Float32Array(o.batchSize * INPUT_DIM);
  fitWeighted({
    ...o,
    labels: set.labels,
    weights: set.weights,
    rand,
    penalised: [v.w1, v.w2],
    logits: (idx) => {
      for (const [j, i] of idx.entries())
        batch.set(x.subarray(i * INPUT_DIM, (i + 1) * INPUT_DIM), j * INPUT_DIM);
      const m = idx.length;
      return forward(tf.tensor2d(batch.subarray(0, m * INPUT_DIM), [m, INPUT_DIM]), v, o.activation, {
        rate: o.dropout,
        rand,
      });
    },
    log,
  });
  // an input that never varied gets weight 0 (inv 0)
  const inv = moments.std.map((s) => (s < MIN_INPUT_STD ? 0 : 1 / s));
  const first = foldStandardisation(
    v.w1.dataSync() as Float32Array,
    v.b1.dataSync() as Float32Array,
    o.hidden,
    moments.mean,
    inv,
  );
  const out: EvidenceHeadWeights = {
    hidden: o.hidden,
    activation: o.activation,
    w1: first.kernel,
    b1: first.bias,
    w2: v.w2.dataSync().slice() as Float32Array,
    b2: v.b2.dataSync()[0],
  };
  for (const t of Object.values(v)) t.dispose();
  return out;
}

/** The head's cry logit for n inputs (n × INPUT_DIM, evidenceInputs). */
export function evidenceLogits(inputs: Float32Array, w: EvidenceHeadWeights): Float32Array {
  const n = inputs.length / INPUT_DIM;
  return tf.tidy(() => {
    const v = {
      w1: tf.tensor2d(w.w1, [INPUT_DIM, w.hidden]),
      b1: tf.tensor1d(w.b1),
      w2: tf.tensor2d(w.w2, [w.hidden, 1]),
      b2: tf.tensor1d([w.b2]),
    };
    return forward(tf.tensor2d(inputs, [n, INPUT_DIM]), v, w.activation).dataSync() as Float32Array;
  });
}

/**
 * The head as a TF.js layers model in the shipped heads' format (input: the embedding; outputs: cry logit and five
 * reason logits): YAMNet's classifier frozen inside it, then the trained layers. The reason output is a zero layer
 * (reasons come from the manifest's calibrated priors: the reason labels carry no signal under grouped evaluation).
 */
export function evidenceHeadModel(
  classifier: YamnetClassifier,
  w: EvidenceHeadWeights,
  reasons: number,
): tfl.LayersModel {
  const input = tfl.input({ shape: [EMBEDDING_DIM], name: "embedding" });
  const logits = tfl.layers
    .dense({ units: YAMNET_CLASSES, name: "yamnet_classifier", trainable: false })
    .apply(input) as tfl.SymbolicTensor;
  const x = tfl.layers.concatenate({ name: "evidence" }).apply([input, logits]) as tfl.SymbolicTensor;
  const h = tfl.layers
    .dense({ units: w.hidden, activation: w.activation, name: "evidence_hidden" })
    .apply(x) as tfl.SymbolicTensor;
  const cry = tfl.layers.dense({ units: 1, name: "cry" }).apply(h) as tfl.SymbolicTensor;
  const reason = tfl.layers
    .dense({ units: reasons, name: "reason", kernelInitializer: "zeros" })
    .apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: [cry, reason] });
  const scale = (xs: Float32Array) => xs.map((v) => v * LOGIT_SCALE);
  model
    .getLayer("yamnet_classifier")
    .setWeights([
      tf.tensor2d(scale(classifier.kernel), [EMBEDDING_DIM, YAMNET_CLASSES]),
      tf.tensor1d(scale(classifier.bias)),
    ]);
  model
    .getLayer("evidence_hidden")
    .setWeights([tf.tensor2d(w.w1, [EMBEDDING_DIM + YAMNET_CLASSES, w.hidden]), tf.tensor1d(w.b1)]);
  model.getLayer("cry").setWeights([tf.tensor2d(w.w2, [w.hidden, 1]), tf.tensor1d([w.b2])]);
  model.getLayer("reason").setWeights([tf.zeros([w.hidden, reasons]), tf.zeros([reasons])]);
  return model;
}

/** The daemon's `classes` detector: z = Σ weights[i] · YAMNet's logit of class indices[i] + bias. */
export type ClassWeights = { indices: number[]; weights: number[]; bias: number };

/**
 * A linear head over class logits only, as the daemon's `classes` detector (manifest `detector.classes`): one weight
 * per class logit and a bias, z = Σ weights[i] · logit[indices[i]] + bias, the same logit as evidenceLogits. Throws
 * when the head is not linear or gives weight to an input outside `indices` (the embedding or another class).
 */
export function linearClassWeights(w: EvidenceHeadWeights, indices: readonly number[]): ClassWeights {
  if (w.activation !== "linear") throw new Error(`a ${w.activation} head is not a linear combination`);
  const read = new Set(indices.map((c) => EMBEDDING_DIM + c));
  const through = (d: number) => {
    let s = 0;
    for (let h = 0; h < w.hidden; h++) s += w.w1[d * w.hidden + h] * w.w2[h];
    return s;
  };
  for (let d = 0; d < INPUT_DIM; d++)
    if (!read.has(d) && through(d) !== 0)
      throw new Error(
        `the head gives input ${d} (${d < EMBEDDING_DIM ? "the embedding" : `class ${d - EMBEDDING_DIM}`}) a weight; only classes ${indices.join(", ")} may have one`,
      );
  let bias = w.b2;
  for (let h = 0; h < w.hidden; h++) bias += w.b1[h] * w.w2[h];
  return {
    indices: [...indices],
    weights: indices.map((c) => through(EMBEDDING_DIM + c) * LOGIT_SCALE),
    bias,
  };
}
