import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * How the temporal model (sequence-model.ts) pools its T per-window projections (P each, oldest first) into one
 * vector for the layer over them:
 * - "stack": side by side (T·P), so the model sees the order;
 * - "attention": their weighted sum (P), the weights a softmax over the windows of a learnt score of each: the order
 *   is lost, but the model picks the windows that carry the cry, and its size does not grow with T;
 * - "gru": a GRU (H units) run over them, oldest first, its last state (H): order and repetition, in few weights.
 */
export type Pooling = "stack" | "attention" | "gru";

export interface PoolShape {
  windows: number;
  project: number;
  hidden: number;
  pooling: Pooling;
}

/** The pooling's own weights and their shapes (the GRU's as TF.js layers stores them: gates z, r, h side by side). */
export function poolingShapes(o: PoolShape): Record<string, number[]> {
  const { project: P, hidden: H } = o;
  if (o.pooling === "attention") return { attendKernel: [P, 1], attendBias: [1] };
  if (o.pooling === "gru") return { gruKernel: [P, 3 * H], gruRecurrent: [H, 3 * H], gruBias: [3 * H] };
  return {};
}

/** Width of the pooled vector. */
export function pooledWidth(o: PoolShape): number {
  return o.pooling === "stack" ? o.windows * o.project : o.pooling === "attention" ? o.project : o.hidden;
}

/** Pools h (m·T × P, the T windows of each stack consecutive) into m × pooledWidth. */
export function pool(h: tf.Tensor2D, p: Record<string, tf.Tensor>, m: number, o: PoolShape): tf.Tensor2D {
  const { windows: T, project: P, hidden: H } = o;
  if (o.pooling === "stack") return tf.reshape(h, [m, T * P]);
  if (o.pooling === "attention") {
    const score = tf.reshape(tf.add(tf.matMul(h, p.attendKernel as tf.Tensor2D), p.attendBias), [m, T]);
    const weights = tf.reshape(tf.softmax(score), [m, T, 1]);
    return tf.sum(tf.mul(tf.reshape(h, [m, T, P]), weights), 1);
  }
  // the arithmetic of TF.js layers' GRUCell (resetAfter false, sigmoid gates), so the exported layer computes the same
  const x = tf.add(tf.matMul(h, p.gruKernel as tf.Tensor2D), p.gruBias);
  const steps = tf.unstack(tf.reshape(x, [m, T, 3 * H]), 1);
  const [u1, u2] = tf.split(p.gruRecurrent, [2 * H, H], 1);
  let state: tf.Tensor2D = tf.zeros([m, H]);
  for (const step of steps) {
    const [xz, xr, xh] = tf.split(step, 3, 1);
    const [rz, rr] = tf.split(tf.matMul(state, u1 as tf.Tensor2D), 2, 1);
    const z = tf.sigmoid(tf.add(xz, rz));
    const r = tf.sigmoid(tf.add(xr, rr));
    const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, state) as tf.Tensor2D, u2 as tf.Tensor2D)));
    state = tf.add(tf.mul(z, state), tf.mul(tf.sub(1, z), candidate)) as tf.Tensor2D;
  }
  return state;
}

/** The pooling as TF.js layers over h ([batch, T, P]); `weights` sets their weights once the model is built. */
export function poolingLayers(
  h: tfl.SymbolicTensor,
  o: PoolShape,
): {
  pooled: tfl.SymbolicTensor;
  weights: (model: tfl.LayersModel, w: Record<string, Float32Array>) => void;
} {
  const s = poolingShapes(o);
  const t = (w: Record<string, Float32Array>, name: string) => tf.tensor(w[name], s[name]);
  if (o.pooling === "stack")
    return {
      pooled: tfl.layers.flatten({ name: "stack" }).apply(h) as tfl.SymbolicTensor,
      weights: () => {},
    };
  if (o.pooling === "attention") {
    const score = tfl.layers.dense({ units: 1, name: "attend" }).apply(h) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten({ name: "scores" }).apply(score) as tfl.SymbolicTensor;
    const a = tfl.layers.softmax({ name: "attention" }).apply(flat) as tfl.SymbolicTensor;
    return {
      pooled: tfl.layers.dot({ axes: 1, name: "pool" }).apply([a, h]) as tfl.SymbolicTensor,
      weights: (model, w) => model.getLayer("attend").setWeights([t(w, "attendKernel"), t(w, "attendBias")]),
    };
  }
  const gru = tfl.layers.gru({
    units: o.hidden,
    activation: "tanh",
    recurrentActivation: "sigmoid",
    // the default orthogonal initialiser fails in this TF.js build (rMat.flatten); the weights are set anyway
    recurrentInitializer: "glorotUniform",
    name: "gru",
  });
  return {
    pooled: gru.apply(h) as tfl.SymbolicTensor,
    weights: (model, w) =>
      model.getLayer("gru").setWeights([t(w, "gruKernel"), t(w, "gruRecurrent"), t(w, "gruBias")]),
  };
}
