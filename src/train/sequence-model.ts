import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { seededDropout } from "../inference/head-layers.js";
import { mulberry32 } from "./random.js";
import { type FitSettings, fitWeighted, foldStandardisation, glorot } from "./weighted-fit.js";

/**
 * The temporal cry model: over the last T windows (0.48 s hop) of YAMNet's 521 full-band class logits, each window
 * projected by one shared dense layer (521 → P, ReLU), the T projections pooled, a dense layer (→ H, ReLU) and the
 * cry logit. A cry is seconds of voiced bursts with breaths between; one window of it looks like a voice or a meow,
 * the stack of several does not. Small enough to train per fold on the CPU.
 *
 * Pooling "stack": the T projections side by side (flattened, oldest first; T·P → H), so the model sees the order.
 * Pooling "attention": their weighted sum, the weights a softmax over the windows of a learnt score (P → 1) of each
 * projection (P → H): the order is lost, but the model can pick the windows that carry the cry, and its size does
 * not grow with T.
 */

export const CLASSES = 521;

export type Pooling = "stack" | "attention";

export interface SequenceModelOptions extends FitSettings {
  /** T: windows the model reads, the current one last */
  windows: number;
  /** P: units of the per-window projection */
  project: number;
  /** H: units of the layer over the window stack */
  hidden: number;
  /**
   * How the logits are scaled after centring per class: "per-class" divides by each class's deviation (a class that
   * barely moves in training becomes unit noise), a number multiplies every class alike (classes that respond to
   * the training sounds keep their weight).
   */
  inputScale: "per-class" | number;
  pooling: Pooling;
}

export const DEFAULT_SEQUENCE_MODEL: SequenceModelOptions = {
  windows: 8,
  project: 16,
  hidden: 32,
  epochs: 5,
  batchSize: 512,
  learningRate: 3e-3,
  l2: 1e-4,
  dropout: 0.2,
  seed: 1,
  inputScale: 0.25,
  pooling: "stack",
};

/** Trained weights, taking raw YAMNet logits (the input standardisation is folded into w1, b1). */
export interface SequenceWeights {
  windows: number;
  project: number;
  hidden: number;
  pooling: Pooling;
  /** 521 × P */
  w1: Float32Array;
  b1: Float32Array;
  /** attention pooling: the score of each window's projection (P, and its bias) */
  wa?: Float32Array;
  ba?: number;
  /** (T·P) × H stacked, P × H attention-pooled */
  w2: Float32Array;
  b2: Float32Array;
  /** H */
  w3: Float32Array;
  b3: number;
}

/**
 * Training sequences as rows of window indices into a pool of per-window logits (pool row r = logits
 * [r·521, (r+1)·521)), so a window shared by T sequences is stored once.
 */
export interface SequenceSet {
  pool: Float32Array;
  /** n × T pool rows, oldest first */
  rows: Int32Array;
  labels: Uint8Array;
  weights: Float32Array;
}

type Params = {
  w1: tf.Tensor;
  b1: tf.Tensor;
  wa?: tf.Tensor;
  ba?: tf.Tensor;
  w2: tf.Tensor;
  b2: tf.Tensor;
  w3: tf.Tensor;
  b3: tf.Tensor;
};

type Shape = Pick<SequenceModelOptions, "windows" | "project" | "pooling">;

/** Rows of the second layer's input: the stacked projections, or the attention-pooled one. */
const pooledWidth = (o: Shape) => (o.pooling === "stack" ? o.windows * o.project : o.project);

/** Cry logits of m stacks (x: m·T × 521, oldest first within each stack). */
function forward(
  x: tf.Tensor2D,
  v: Params,
  m: number,
  o: Shape,
  dropout: number,
  rand: () => number,
): tf.Tensor1D {
  const h = seededDropout(tf.relu(tf.add(tf.matMul(x, v.w1 as tf.Tensor2D), v.b1)), dropout, rand);
  const pooled =
    o.pooling === "stack"
      ? tf.reshape(h, [m, o.windows * o.project])
      : tf.sum(
          tf.mul(
            tf.reshape(h, [m, o.windows, o.project]),
            tf.reshape(
              tf.softmax(
                tf.reshape(tf.add(tf.matMul(h, v.wa as tf.Tensor2D), v.ba as tf.Tensor), [m, o.windows]),
              ),
              [m, o.windows, 1],
            ),
          ),
          1,
        );
  const g = seededDropout(
    tf.relu(tf.add(tf.matMul(pooled as tf.Tensor2D, v.w2 as tf.Tensor2D), v.b2)),
    dropout,
    rand,
  );
  return tf.reshape(tf.add(tf.matMul(g, v.w3 as tf.Tensor2D), v.b3), [-1]) as tf.Tensor1D;
}

/** Per-class mean and standard deviation over the pool rows the set uses (each distinct row once). */
function moments(set: SequenceSet): { mean: Float32Array; std: Float32Array } {
  const used = new Uint8Array(set.pool.length / CLASSES);
  for (const r of set.rows) used[r] = 1;
  const sum = new Float64Array(CLASSES);
  const sq = new Float64Array(CLASSES);
  let n = 0;
  used.forEach((u, r) => {
    if (!u) return;
    n++;
    for (let d = 0; d < CLASSES; d++) {
      const x = set.pool[r * CLASSES + d];
      sum[d] += x;
      sq[d] += x * x;
    }
  });
  const mean = Float32Array.from(sum, (s) => s / Math.max(1, n));
  const std = Float32Array.from(sq, (s, d) =>
    Math.max(Math.sqrt(Math.max(s / Math.max(1, n) - mean[d] ** 2, 0)), 1e-3),
  );
  return { mean, std };
}

/** Copies the set's samples `idx` into `out` (m·T × 521), standardised. */
function gather(
  set: SequenceSet,
  idx: ArrayLike<number>,
  T: number,
  mean: Float32Array,
  inv: Float32Array,
  out: Float32Array,
) {
  for (let j = 0; j < idx.length; j++)
    for (let t = 0; t < T; t++) {
      const r = set.rows[idx[j] * T + t];
      const src = r * CLASSES;
      const dst = (j * T + t) * CLASSES;
      for (let d = 0; d < CLASSES; d++) out[dst + d] = (set.pool[src + d] - mean[d]) * inv[d];
    }
}

/** Fits the model (Adam, weighted sigmoid cross-entropy, L2 on the kernels) and returns its weights. */
export function fitSequenceModel(
  set: SequenceSet,
  o: SequenceModelOptions = DEFAULT_SEQUENCE_MODEL,
  log?: (line: string) => void,
): SequenceWeights {
  const T = o.windows;
  const n = set.labels.length;
  if (set.rows.length !== n * T)
    throw new RangeError(`Expected ${n} × ${T} sequence rows, got ${set.rows.length}`);
  const rand = mulberry32(o.seed);
  const { mean, std } = moments(set);
  const scale = o.inputScale;
  const inv = std.map((s) => (scale === "per-class" ? 1 / s : scale));
  const attention = o.pooling === "attention";
  const v: Params = {
    w1: tf.variable(glorot(CLASSES, o.project, rand)),
    b1: tf.variable(tf.zeros([o.project])),
    ...(attention ? { wa: tf.variable(glorot(o.project, 1, rand)), ba: tf.variable(tf.zeros([1])) } : {}),
    w2: tf.variable(glorot(pooledWidth(o), o.hidden, rand)),
    b2: tf.variable(tf.zeros([o.hidden])),
    w3: tf.variable(glorot(o.hidden, 1, rand)),
    b3: tf.variable(tf.zeros([1])),
  };
  const batch = new Float32Array(o.batchSize * T * CLASSES);
  fitWeighted({
    ...o,
    labels: set.labels,
    weights: set.weights,
    rand,
    penalised: [v.w1 as tf.Variable, v.w2 as tf.Variable],
    logits: (idx) => {
      const m = idx.length;
      gather(set, idx, T, mean, inv, batch);
      return forward(
        tf.tensor2d(batch.subarray(0, m * T * CLASSES), [m * T, CLASSES]),
        v,
        m,
        o,
        o.dropout,
        rand,
      );
    },
    log,
  });
  const first = foldStandardisation(
    v.w1.dataSync() as Float32Array,
    v.b1.dataSync() as Float32Array,
    o.project,
    mean,
    inv,
  );
  const out: SequenceWeights = {
    windows: T,
    project: o.project,
    hidden: o.hidden,
    pooling: o.pooling,
    w1: first.kernel,
    b1: first.bias,
    ...(v.wa && v.ba ? { wa: Float32Array.from(v.wa.dataSync()), ba: v.ba.dataSync()[0] } : {}),
    w2: Float32Array.from(v.w2.dataSync()),
    b2: Float32Array.from(v.b2.dataSync()),
    w3: Float32Array.from(v.w3.dataSync()),
    b3: v.b3.dataSync()[0],
  };
  for (const t of Object.values(v)) t.dispose();
  return out;
}

/** The logits of the set's own samples (e.g. to mine the ones a first round scored falsely high). */
export function sequenceSetLogits(set: SequenceSet, w: SequenceWeights): Float32Array {
  const T = w.windows;
  const n = set.labels.length;
  const out = new Float32Array(n);
  const step = 512;
  const ones = new Float32Array(CLASSES).fill(1);
  const zeros = new Float32Array(CLASSES);
  const x = new Float32Array(step * T * CLASSES);
  for (let s = 0; s < n; s += step) {
    const m = Math.min(step, n - s);
    gather(
      set,
      Array.from({ length: m }, (_, j) => s + j),
      T,
      zeros,
      ones,
      x,
    );
    out.set(stackLogits(x.subarray(0, m * T * CLASSES), m, w), s);
  }
  return out;
}

/** Logits of m stacks (m·T × 521 raw logits, oldest first within each stack). */
function stackLogits(x: Float32Array, m: number, w: SequenceWeights): Float32Array {
  return tf.tidy(() => {
    const v: Params = {
      w1: tf.tensor2d(w.w1, [CLASSES, w.project]),
      b1: tf.tensor1d(w.b1),
      ...(w.wa ? { wa: tf.tensor2d(w.wa, [w.project, 1]), ba: tf.scalar(w.ba ?? 0) } : {}),
      w2: tf.tensor2d(w.w2, [pooledWidth(w), w.hidden]),
      b2: tf.tensor1d(w.b2),
      w3: tf.tensor2d(w.w3, [w.hidden, 1]),
      b3: tf.scalar(w.b3),
    };
    return forward(tf.tensor2d(x, [m * w.windows, CLASSES]), v, m, w, 0, () => 0).dataSync() as Float32Array;
  });
}

/**
 * The cry logit of every window of one stream (n × 521 raw logits, in time order), each from the last T windows
 * ending there; at the start of the stream the first window is repeated, as the daemon does.
 */
export function streamLogits(logits: Float32Array, w: SequenceWeights): Float32Array {
  const n = logits.length / CLASSES;
  const T = w.windows;
  const out = new Float32Array(n);
  const step = 512;
  const x = new Float32Array(step * T * CLASSES);
  for (let s = 0; s < n; s += step) {
    const m = Math.min(step, n - s);
    for (let j = 0; j < m; j++)
      for (let t = 0; t < T; t++) {
        const r = Math.max(0, s + j - T + 1 + t);
        x.set(logits.subarray(r * CLASSES, (r + 1) * CLASSES), (j * T + t) * CLASSES);
      }
    out.set(stackLogits(x.subarray(0, m * T * CLASSES), m, w), s);
  }
  return out;
}

/**
 * The model as a TF.js layers model for the daemon: input [batch, T, 521] raw YAMNet logits (oldest first), output
 * [batch, 1] cry logit. The same arithmetic as streamLogits.
 */
export function sequenceLayersModel(w: SequenceWeights): tfl.LayersModel {
  const input = tfl.input({ shape: [w.windows, CLASSES], name: "yamnet_logits" });
  const h = tfl.layers
    .dense({ units: w.project, activation: "relu", name: "project" })
    .apply(input) as tfl.SymbolicTensor;
  let pooled: tfl.SymbolicTensor;
  if (w.pooling === "stack") pooled = tfl.layers.flatten({ name: "stack" }).apply(h) as tfl.SymbolicTensor;
  else {
    const score = tfl.layers.dense({ units: 1, name: "attend" }).apply(h) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten({ name: "scores" }).apply(score) as tfl.SymbolicTensor;
    const a = tfl.layers.softmax({ name: "attention" }).apply(flat) as tfl.SymbolicTensor;
    pooled = tfl.layers.dot({ axes: 1, name: "pool" }).apply([a, h]) as tfl.SymbolicTensor;
  }
  const g = tfl.layers
    .dense({ units: w.hidden, activation: "relu", name: "temporal" })
    .apply(pooled) as tfl.SymbolicTensor;
  const cry = tfl.layers.dense({ units: 1, name: "cry" }).apply(g) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: cry, name: "babymon_sequence" });
  model.getLayer("project").setWeights([tf.tensor2d(w.w1, [CLASSES, w.project]), tf.tensor1d(w.b1)]);
  if (w.wa)
    model.getLayer("attend").setWeights([tf.tensor2d(w.wa, [w.project, 1]), tf.tensor1d([w.ba ?? 0])]);
  model.getLayer("temporal").setWeights([tf.tensor2d(w.w2, [pooledWidth(w), w.hidden]), tf.tensor1d(w.b2)]);
  model.getLayer("cry").setWeights([tf.tensor2d(w.w3, [w.hidden, 1]), tf.tensor1d([w.b3])]);
  return model;
}
