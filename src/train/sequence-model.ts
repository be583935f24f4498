import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { seededDropout } from "../inference/head-layers.js";
import { mulberry32 } from "./random.js";
import {
  type Pooling,
  type PoolShape,
  pool,
  pooledWidth,
  poolingLayers,
  poolingShapes,
} from "./sequence-pooling.js";
import { type FitSettings, fitWeighted, foldStandardisation, glorot } from "./weighted-fit.js";

/**
 * The temporal cry model: over the last T windows (0.48 s hop) of YAMNet's 521 full-band class logits, each window
 * projected by one shared dense layer (521 → P, ReLU; the benchmark also tries its 1024-value embedding in their
 * place), the T projections pooled, a dense layer (→ H, ReLU) and the
 * cry logit. A cry is seconds of voiced bursts with breaths between; one window of it looks like a voice or a meow,
 * the stack of several does not. Small enough to train per fold on the CPU.
 *
 * How the projections are pooled: sequence-pooling.ts.
 */

export const CLASSES = 521;

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

/** Trained weights, taking raw YAMNet logits or embeddings (the input standardisation is folded into w1, b1). */
export interface SequenceWeights {
  windows: number;
  /** values per window: 521 (YAMNet's class logits) or 1024 (its embedding) */
  inputs: number;
  project: number;
  hidden: number;
  pooling: Pooling;
  /** inputs × P */
  w1: Float32Array;
  b1: Float32Array;
  /** the pooling's own weights (sequence-pooling.ts poolingShapes) */
  pool: Record<string, Float32Array>;
  /** pooledWidth × H */
  w2: Float32Array;
  b2: Float32Array;
  /** H */
  w3: Float32Array;
  b3: number;
}

/**
 * Training sequences as rows of window indices into a pool of per-window logits (pool row r = logits
 * [r·width, (r+1)·width)), so a window shared by T sequences is stored once.
 */
export interface SequenceSet {
  pool: Float32Array;
  /** values per pool row */
  width: number;
  /** n × T pool rows, oldest first */
  rows: Int32Array;
  labels: Uint8Array;
  weights: Float32Array;
}

type Params = {
  w1: tf.Tensor;
  b1: tf.Tensor;
  pool: Record<string, tf.Tensor>;
  w2: tf.Tensor;
  b2: tf.Tensor;
  w3: tf.Tensor;
  b3: tf.Tensor;
};

/** Cry logits of m stacks (x: m·T × inputs, oldest first within each stack). */
function forward(
  x: tf.Tensor2D,
  v: Params,
  m: number,
  o: PoolShape,
  dropout: number,
  rand: () => number,
): tf.Tensor1D {
  const h = seededDropout(tf.relu(tf.add(tf.matMul(x, v.w1 as tf.Tensor2D), v.b1)), dropout, rand);
  const pooled = pool(h as tf.Tensor2D, v.pool, m, o);
  const g = seededDropout(tf.relu(tf.add(tf.matMul(pooled, v.w2 as tf.Tensor2D), v.b2)), dropout, rand);
  return tf.reshape(tf.add(tf.matMul(g, v.w3 as tf.Tensor2D), v.b3), [-1]) as tf.Tensor1D;
}

/** Per-value mean and standard deviation over the pool rows the set uses (each distinct row once). */
function moments(set: SequenceSet): { mean: Float32Array; std: Float32Array } {
  const D = set.width;
  const used = new Uint8Array(set.pool.length / D);
  for (const r of set.rows) used[r] = 1;
  const sum = new Float64Array(D);
  const sq = new Float64Array(D);
  let n = 0;
  used.forEach((u, r) => {
    if (!u) return;
    n++;
    for (let d = 0; d < D; d++) {
      const x = set.pool[r * D + d];
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

/** Copies the set's samples `idx` into `out` (m·T × width), standardised. */
function gather(
  set: SequenceSet,
  idx: ArrayLike<number>,
  T: number,
  mean: Float32Array,
  inv: Float32Array,
  out: Float32Array,
) {
  const D = set.width;
  for (let j = 0; j < idx.length; j++)
    for (let t = 0; t < T; t++) {
      const r = set.rows[idx[j] * T + t];
      const src = r * D;
      const dst = (j * T + t) * D;
      for (let d = 0; d < D; d++) out[dst + d] = (set.pool[src + d] - mean[d]) * inv[d];
    }
}

/** Fits the model (Adam, weighted sigmoid cross-entropy, L2 on the kernels) and returns its weights. */
export function fitSequenceModel(
  set: SequenceSet,
  o: SequenceModelOptions = DEFAULT_SEQUENCE_MODEL,
  log?: (line: string) => void,
): SequenceWeights {
  const T = o.windows;
  const D = set.width;
  const n = set.labels.length;
  if (set.rows.length !== n * T)
    throw new RangeError(`Expected ${n} × ${T} sequence rows, got ${set.rows.length}`);
  const rand = mulberry32(o.seed);
  const { mean, std } = moments(set);
  const scale = o.inputScale;
  const inv = std.map((s) => (scale === "per-class" ? 1 / s : scale));
  const v: Params = {
    w1: tf.variable(glorot(D, o.project, rand)),
    b1: tf.variable(tf.zeros([o.project])),
    pool: Object.fromEntries(
      Object.entries(poolingShapes(o)).map(([k, shape]) => [
        k,
        tf.variable(shape.length === 2 ? glorot(shape[0], shape[1], rand) : tf.zeros(shape)),
      ]),
    ),
    w2: tf.variable(glorot(pooledWidth(o), o.hidden, rand)),
    b2: tf.variable(tf.zeros([o.hidden])),
    w3: tf.variable(glorot(o.hidden, 1, rand)),
    b3: tf.variable(tf.zeros([1])),
  };
  const batch = new Float32Array(o.batchSize * T * D);
  fitWeighted({
    ...o,
    labels: set.labels,
    weights: set.weights,
    rand,
    penalised: [v.w1, v.w2, ...Object.values(v.pool).filter((t) => t.rank === 2)] as tf.Variable[],
    logits: (idx) => {
      const m = idx.length;
      gather(set, idx, T, mean, inv, batch);
      return forward(tf.tensor2d(batch.subarray(0, m * T * D), [m * T, D]), v, m, o, o.dropout, rand);
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
    inputs: D,
    project: o.project,
    hidden: o.hidden,
    pooling: o.pooling,
    w1: first.kernel,
    b1: first.bias,
    pool: Object.fromEntries(Object.entries(v.pool).map(([k, t]) => [k, Float32Array.from(t.dataSync())])),
    w2: Float32Array.from(v.w2.dataSync()),
    b2: Float32Array.from(v.b2.dataSync()),
    w3: Float32Array.from(v.w3.dataSync()),
    b3: v.b3.dataSync()[0],
  };
  const { pool: pooling, ...layers } = v;
  for (const t of [...Object.values(layers), ...Object.values(pooling)]) t.dispose();
  return out;
}

/** The logits of the set's own samples (e.g. to mine the ones a first round scored falsely high). */
export function sequenceSetLogits(set: SequenceSet, w: SequenceWeights): Float32Array {
  const T = w.windows;
  const D = w.inputs;
  const n = set.labels.length;
  const out = new Float32Array(n);
  const step = 512;
  const ones = new Float32Array(D).fill(1);
  const zeros = new Float32Array(D);
  const x = new Float32Array(step * T * D);
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
    out.set(stackLogits(x.subarray(0, m * T * D), m, w), s);
  }
  return out;
}

/** Logits of m stacks (m·T × inputs raw values, oldest first within each stack). */
function stackLogits(x: Float32Array, m: number, w: SequenceWeights): Float32Array {
  const D = w.inputs;
  return tf.tidy(() => {
    const v: Params = {
      w1: tf.tensor2d(w.w1, [D, w.project]),
      b1: tf.tensor1d(w.b1),
      pool: Object.fromEntries(
        Object.entries(poolingShapes(w)).map(([k, sh]) => [k, tf.tensor(w.pool[k], sh)]),
      ),
      w2: tf.tensor2d(w.w2, [pooledWidth(w), w.hidden]),
      b2: tf.tensor1d(w.b2),
      w3: tf.tensor2d(w.w3, [w.hidden, 1]),
      b3: tf.scalar(w.b3),
    };
    return forward(tf.tensor2d(x, [m * w.windows, D]), v, m, w, 0, () => 0).dataSync() as Float32Array;
  });
}

/**
 * The cry logit of every window of one stream (n × inputs raw values, in time order), each from the last T windows
 * ending there; at the start of the stream the first window is repeated, as the daemon does.
 */
export function streamLogits(logits: Float32Array, w: SequenceWeights): Float32Array {
  const D = w.inputs;
  const n = logits.length / D;
  const T = w.windows;
  const out = new Float32Array(n);
  const step = 512;
  const x = new Float32Array(step * T * D);
  for (let s = 0; s < n; s += step) {
    const m = Math.min(step, n - s);
    for (let j = 0; j < m; j++)
      for (let t = 0; t < T; t++) {
        const r = Math.max(0, s + j - T + 1 + t);
        x.set(logits.subarray(r * D, (r + 1) * D), (j * T + t) * D);
      }
    out.set(stackLogits(x.subarray(0, m * T * D), m, w), s);
  }
  return out;
}

/**
 * The model as a TF.js layers model for the daemon: input [batch, T, inputs] raw YAMNet logits (oldest first), output
 * [batch, 1] cry logit. The same arithmetic as streamLogits.
 */
export function sequenceLayersModel(w: SequenceWeights): tfl.LayersModel {
  const D = w.inputs;
  const input = tfl.input({ shape: [w.windows, D], name: "yamnet_logits" });
  const h = tfl.layers
    .dense({ units: w.project, activation: "relu", name: "project" })
    .apply(input) as tfl.SymbolicTensor;
  const { pooled, weights } = poolingLayers(h, w);
  const g = tfl.layers
    .dense({ units: w.hidden, activation: "relu", name: "temporal" })
    .apply(pooled) as tfl.SymbolicTensor;
  const cry = tfl.layers.dense({ units: 1, name: "cry" }).apply(g) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: cry, name: "babymon_sequence" });
  model.getLayer("project").setWeights([tf.tensor2d(w.w1, [D, w.project]), tf.tensor1d(w.b1)]);
  weights(model, w.pool);
  model.getLayer("temporal").setWeights([tf.tensor2d(w.w2, [pooledWidth(w), w.hidden]), tf.tensor1d(w.b2)]);
  model.getLayer("cry").setWeights([tf.tensor2d(w.w3, [w.hidden, 1]), tf.tensor1d([w.b3])]);
  return model;
}
