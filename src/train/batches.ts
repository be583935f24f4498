import * as tf from "@tensorflow/tfjs-core";
import { REASONS } from "../events.js";
import { mixInto } from "./augment.js";
import { EMBEDDING_DIM } from "./features.js";
import type { HeadKind } from "./models.js";
import { betaSymmetric, shuffleInPlace } from "./random.js";
import type { Sample } from "./sample.js";

/** How the heads' samples become input rows and training batches (class weights, label smoothing, mixup), and their loss. */

export function inputShapeOf(kind: HeadKind, mapShape: [number, number, number]): number[] {
  return kind === "fc" ? [EMBEDDING_DIM] : mapShape;
}

function rowSize(kind: HeadKind, mapShape: [number, number, number]): number {
  return kind === "fc" ? EMBEDDING_DIM : mapShape[0] * mapShape[1] * mapShape[2];
}

/** Writes the input row of sample `s` (embedding, or the dequantized feature map) into `out`. */
export function fillRow(kind: HeadKind, s: Sample, out: Float32Array): void {
  const f = s.features;
  if (kind === "fc") {
    out.set(f.embeddings.subarray(s.patch * EMBEDDING_DIM, (s.patch + 1) * EMBEDDING_DIM));
    return;
  }
  const size = out.length;
  if (f.mapsFloat) {
    out.set(f.mapsFloat.subarray(s.patch * size, (s.patch + 1) * size));
    return;
  }
  const scale = f.mapScales[s.patch];
  const base = s.patch * size;
  for (let j = 0; j < size; j++) out[j] = f.maps[base + j] * scale;
}

export function stackRows(kind: HeadKind, samples: Sample[], mapShape: [number, number, number]): tf.Tensor {
  const size = rowSize(kind, mapShape);
  const data = new Float32Array(samples.length * size);
  const row = new Float32Array(size);
  samples.forEach((s, i) => {
    fillRow(kind, s, row);
    data.set(row, i * size);
  });
  return tf.tensor(data, [samples.length, ...inputShapeOf(kind, mapShape)]);
}

/** Balanced class weights n / (k · n_c), capped; for the reason output over cry samples. */
export function reasonClassWeights(samples: readonly Sample[], cap: number): number[] {
  const counts = new Array(REASONS.length).fill(0);
  for (const s of samples) if (s.reason >= 0) counts[s.reason]++;
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? Math.min(cap, total / (REASONS.length * c)) : 0));
}

interface Batch {
  x: tf.Tensor;
  cryTarget: tf.Tensor1D;
  cryWeight: tf.Tensor1D;
  reasonTarget: tf.Tensor2D;
  reasonWeight: tf.Tensor1D;
}

/** Class weights of a training set: balanced cry/not-cry, and balanced (capped) reasons over cry samples. */
export interface Weights {
  cryPos: number;
  cryNeg: number;
  reason: number[];
}

export function makeBatch(
  kind: HeadKind,
  samples: Sample[],
  mapShape: [number, number, number],
  w: Weights,
  smoothing: number,
  mixup: { prob: number; alpha: number; rand: () => number } | null,
): Batch {
  const size = rowSize(kind, mapShape);
  const b = samples.length;
  const x = new Float32Array(b * size);
  const cryT = new Float32Array(b);
  const cryW = new Float32Array(b);
  const reasonT = new Float32Array(b * REASONS.length);
  const reasonW = new Float32Array(b);
  const rowA = new Float32Array(size);
  const rowB = new Float32Array(size);
  const mixed = new Float32Array(size);
  const doMix = mixup !== null && mixup.rand() < mixup.prob;
  // partners for mixup: a shuffled sample of the same cry status
  const partner = samples.map((_, i) => i);
  if (doMix) {
    for (const status of [0, 1]) {
      const idx = partner.filter((i) => samples[i].cry === status);
      const shuffled = shuffleInPlace([...idx], mixup!.rand);
      idx.forEach((i, k) => {
        partner[i] = shuffled[k];
      });
    }
  }
  const k = REASONS.length;
  samples.forEach((s, i) => {
    const lambda = doMix ? betaSymmetric(mixup!.alpha, mixup!.rand) : 1;
    const t = samples[partner[i]];
    fillRow(kind, s, rowA);
    if (lambda < 1) {
      fillRow(kind, t, rowB);
      mixInto(mixed, rowA, rowB, lambda);
      x.set(mixed, i * size);
    } else {
      x.set(rowA, i * size);
    }
    cryT[i] = s.cry * (1 - smoothing) + smoothing / 2;
    cryW[i] = s.cry ? w.cryPos : w.cryNeg;
    if (s.cry) {
      for (let c = 0; c < k; c++) {
        const a = (c === s.reason ? 1 - smoothing : 0) + smoothing / k;
        const bb = (c === t.reason ? 1 - smoothing : 0) + smoothing / k;
        reasonT[i * k + c] = lambda * a + (1 - lambda) * bb;
      }
      reasonW[i] = lambda * w.reason[s.reason] + (1 - lambda) * w.reason[t.reason];
    }
  });
  return {
    x: tf.tensor(x, [b, ...inputShapeOf(kind, mapShape)]),
    cryTarget: tf.tensor1d(cryT),
    cryWeight: tf.tensor1d(cryW),
    reasonTarget: tf.tensor2d(reasonT, [b, k]),
    reasonWeight: tf.tensor1d(reasonW),
  };
}

/** Weighted two-output loss: BCE on the cry logit + λ · CE on the reason logits (cry samples only). */
export function lossOf(
  cryLogit: tf.Tensor,
  reasonLogits: tf.Tensor,
  batch: Batch,
  reasonLossWeight: number,
): tf.Scalar {
  const z = tf.reshape(cryLogit, [-1]);
  // numerically stable BCE with logits: max(z,0) − z·y + log(1 + e^−|z|)
  const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, batch.cryTarget)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  const cryLoss = tf.div(tf.sum(tf.mul(bce, batch.cryWeight)), tf.maximum(tf.sum(batch.cryWeight), 1e-6));
  const logp = tf.logSoftmax(reasonLogits);
  const ce = tf.neg(tf.sum(tf.mul(batch.reasonTarget, logp), 1));
  const reasonLoss = tf.div(
    tf.sum(tf.mul(ce, batch.reasonWeight)),
    tf.maximum(tf.sum(batch.reasonWeight), 1e-6),
  );
  return tf.add(cryLoss, tf.mul(reasonLoss, reasonLossWeight)) as tf.Scalar;
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.cryTarget, b.cryWeight, b.reasonTarget, b.reasonWeight]);
}

export function weightsFor(train: readonly Sample[], cap: number): Weights {
  const pos = train.filter((s) => s.cry === 1).length;
  const neg = train.length - pos;
  return {
    cryPos: pos > 0 ? train.length / (2 * pos) : 0,
    cryNeg: neg > 0 ? train.length / (2 * neg) : 0,
    reason: reasonClassWeights(train, cap),
  };
}
