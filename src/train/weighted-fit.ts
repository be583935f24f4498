import * as tf from "@tensorflow/tfjs-core";
import { shuffleInPlace } from "./random.js";

/** Glorot-uniform initial weights (rows × cols) from a seeded generator. */
export function glorot(rows: number, cols: number, rand: () => number): tf.Tensor2D {
  return tf.tensor2d(
    Float32Array.from({ length: rows * cols }, () => (rand() * 2 - 1) * Math.sqrt(6 / (rows + cols))),
    [rows, cols],
  );
}

/** The training settings every head fitted by fitWeighted takes from its options. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 on the trainable kernels */
  l2: number;
  dropout: number;
  seed: number;
}

export interface WeightedFit extends Omit<FitSettings, "dropout" | "seed"> {
  labels: Uint8Array;
  weights: Float32Array;
  rand: () => number;
  /** the kernels the L2 penalty applies to */
  penalised: readonly tf.Variable[];
  /** the cry logits of samples `idx` (called inside tf.tidy, under the gradient tape) */
  logits: (idx: readonly number[]) => tf.Tensor1D;
  log?: (line: string) => void;
}

/** Adam on the sample-weighted sigmoid cross-entropy plus L2, in minibatches of a seeded order per epoch. */
export function fitWeighted(o: WeightedFit): void {
  const n = o.labels.length;
  const opt = tf.train.adam(o.learningRate);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    shuffleInPlace(order, o.rand);
    let total = 0;
    for (let s = 0; s < n; s += o.batchSize) {
      const idx = order.slice(s, s + o.batchSize);
      const y = Float32Array.from(idx, (i) => o.labels[i]);
      const w = Float32Array.from(idx, (i) => o.weights[i]);
      const loss = opt.minimize(
        () =>
          tf.tidy(() => {
            const ce = tf.losses.sigmoidCrossEntropy(tf.tensor1d(y), o.logits(idx), tf.tensor1d(w));
            const l2 = o.penalised.reduce<tf.Scalar>(
              (acc, v) => tf.add(acc, tf.sum(tf.square(v))),
              tf.scalar(0),
            );
            return tf.add(ce, tf.mul(o.l2, l2)) as tf.Scalar;
          }),
        true,
      );
      total += (loss!.dataSync()[0] ?? 0) * idx.length;
      loss!.dispose();
    }
    o.log?.(`  epoch ${epoch + 1}/${o.epochs}: loss ${(total / n).toFixed(4)}`);
  }
  opt.dispose();
}

/**
 * Folds an input standardisation x' = (x − mean) · inv into a first dense layer (rows inputs × cols units), so the
 * returned kernel and bias take the raw input.
 */
export function foldStandardisation(
  kernel: Float32Array,
  bias: Float32Array,
  cols: number,
  mean: Float32Array,
  inv: Float32Array,
): { kernel: Float32Array; bias: Float32Array } {
  const folded = new Float32Array(kernel.length);
  const b = Float32Array.from(bias);
  for (let d = 0; d < mean.length; d++)
    for (let u = 0; u < cols; u++) {
      const wd = kernel[d * cols + u] * inv[d];
      folded[d * cols + u] = wd;
      b[u] -= mean[d] * wd;
    }
  return { kernel: folded, bias: b };
}
