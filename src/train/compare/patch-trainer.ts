import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { PATCH_SIZE, YAMNET_FRONTEND } from "../../dsp/frontend-params.js";
import { REASONS } from "../../events.js";
import type { ArchRecipe, PatchMasking } from "../archs/types.js";
import { mixInto } from "../augment.js";
import { type Weights, weightsFor } from "../batches.js";
import { EarlyStopping } from "../early-stopping.js";
import { betaSymmetric, mulberry32, shuffleInPlace } from "../random.js";
import type { Logits, Sample } from "../sample.js";
import type { EpochRecord } from "../trainer.js";
import type { PatchStore } from "./patches.js";

const K = REASONS.length;
const FRAMES = YAMNET_FRONTEND.patchFrames;
const MELS = YAMNET_FRONTEND.melBands;

export interface PatchTrainOptions {
  recipe: ArchRecipe;
  seed: number;
  build: () => tfl.LayersModel;
  /** epochs at most (the recipe's, or fewer under the run's budget) */
  maxEpochs: number;
  /** random subset of the training samples per epoch (0 = all) */
  samplesPerEpoch: number;
  /** performance.now() after which training stops at the next batch (the run's time budget); Infinity = none */
  deadline: number;
  onEpoch?: (e: PatchEpochRecord) => void;
}

export interface PatchEpochRecord extends EpochRecord {
  seconds: number;
  samples: number;
}

/** (x − mean) / std of every log-mel value before the model (the daemon applies the same, manifest.json). */
export interface Standardization {
  mean: number;
  std: number;
}

export interface TrainedPatchModel {
  model: tfl.LayersModel;
  standardization: Standardization;
  history: PatchEpochRecord[];
  bestEpoch: number;
  /** true when the time budget, not early stopping or the epoch limit, ended the training */
  stoppedByBudget: boolean;
}

/** What early stopping watches, as for the YAMNet heads: val cry loss + this · val reason loss. */
const MONITOR_REASON_WEIGHT = 0.25;
/** cap of the balanced reason class weights, as for the YAMNet heads */
const MAX_CLASS_WEIGHT = 10;

/** The heads' class weights; without the recipe's class weights every reason weighs 1. */
function classWeightsOf(train: readonly Sample[], classWeights: boolean): Weights {
  const w = weightsFor(train, MAX_CLASS_WEIGHT);
  return classWeights ? w : { ...w, reason: REASONS.map(() => 1) };
}

/** SpecAugment masks (Park et al. 2019) on one patch, masked values set to the patch's mean. */
function maskPatch(row: Float32Array, m: PatchMasking, rand: () => number): void {
  let mean = 0;
  for (const v of row) mean += v;
  mean /= row.length;
  for (let t = 0; t < m.timeMasks; t++) {
    const w = Math.floor(rand() * (m.maxTimeWidth + 1));
    const start = Math.floor(rand() * (FRAMES - w + 1));
    row.fill(mean, start * MELS, (start + w) * MELS);
  }
  for (let f = 0; f < m.freqMasks; f++) {
    const w = Math.floor(rand() * (m.maxFreqWidth + 1));
    const start = Math.floor(rand() * (MELS - w + 1));
    for (let fr = 0; fr < FRAMES; fr++) row.fill(mean, fr * MELS + start, fr * MELS + start + w);
  }
}

interface Batch {
  x: tf.Tensor4D;
  cry: tf.Tensor2D;
  cryWeight: tf.Tensor1D;
  reason: tf.Tensor2D;
  reasonWeight: tf.Tensor1D;
}

function patchRow(store: PatchStore, s: Sample): Float32Array {
  return store.of(s.features).subarray(s.patch * PATCH_SIZE, (s.patch + 1) * PATCH_SIZE);
}

/**
 * Mean and standard deviation of the log-mel values of (up to 512 evenly spaced) training patches. Raw log-mel
 * values (about −7…+3) put the first batch norm's moving statistics far from its batch statistics for the
 * first hundreds of steps; standardized input keeps inference-mode outputs sane from the first epoch.
 */
export function standardizationOf(train: readonly Sample[], store: PatchStore): Standardization {
  const step = Math.max(1, Math.floor(train.length / 512));
  let n = 0;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < train.length; i += step) {
    for (const v of patchRow(store, train[i])) {
      sum += v;
      sq += v * v;
    }
    n += PATCH_SIZE;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(1e-12, sq / n - mean * mean)) };
}

/** Writes the standardized patch of `s` into `out`. */
function standardizedRow(store: PatchStore, s: Sample, z: Standardization, out: Float32Array): void {
  const row = patchRow(store, s);
  for (let j = 0; j < PATCH_SIZE; j++) out[j] = (row[j] - z.mean) / z.std;
}

/** A training batch: patches (masked, mixed up within cry and within non-cry samples), soft targets, weights. */
function makeBatch(
  samples: Sample[],
  store: PatchStore,
  z: Standardization,
  w: Weights,
  r: ArchRecipe,
  rand: () => number,
): Batch {
  const b = samples.length;
  const x = new Float32Array(b * PATCH_SIZE);
  const cryT = new Float32Array(b);
  const cryW = new Float32Array(b);
  const reasonT = new Float32Array(b * K);
  const reasonW = new Float32Array(b);
  const doMix = r.mixupProb > 0 && rand() < r.mixupProb;
  const partner = samples.map((_, i) => i);
  if (doMix) {
    for (const status of [0, 1]) {
      const idx = partner.filter((i) => samples[i].cry === status);
      const shuffled = shuffleInPlace([...idx], rand);
      idx.forEach((i, k) => {
        partner[i] = shuffled[k];
      });
    }
  }
  const a = new Float32Array(PATCH_SIZE);
  const c = new Float32Array(PATCH_SIZE);
  samples.forEach((s, i) => {
    const t = samples[partner[i]];
    const lambda = doMix ? betaSymmetric(r.mixupAlpha, rand) : 1;
    standardizedRow(store, s, z, a);
    if (lambda < 1) {
      standardizedRow(store, t, z, c);
      mixInto(a, a, c, lambda);
    }
    if (r.augmentation.masking) maskPatch(a, r.augmentation.masking, rand);
    x.set(a, i * PATCH_SIZE);
    cryT[i] = s.cry;
    cryW[i] = s.cry ? w.cryPos : w.cryNeg;
    if (s.cry) {
      for (let k = 0; k < K; k++)
        reasonT[i * K + k] = lambda * (k === s.reason ? 1 : 0) + (1 - lambda) * (k === t.reason ? 1 : 0);
      reasonW[i] = lambda * w.reason[s.reason] + (1 - lambda) * w.reason[t.reason];
    }
  });
  return {
    x: tf.tensor4d(x, [b, FRAMES, MELS, 1]),
    cry: tf.tensor2d(cryT, [b, 1]),
    cryWeight: tf.tensor1d(cryW),
    reason: tf.tensor2d(reasonT, [b, K]),
    reasonWeight: tf.tensor1d(reasonW),
  };
}

/** Σ w·loss / Σ w (0 when no weight), as the YAMNet heads' trainer weighs both outputs. */
function weightedMean(losses: tf.Tensor, weights: tf.Tensor1D): tf.Tensor {
  return tf.div(tf.sum(tf.mul(tf.reshape(losses, [-1]), weights)), tf.maximum(tf.sum(weights), 1e-6));
}

function lossOf(cryLogit: tf.Tensor, reasonLogits: tf.Tensor, b: Batch, smoothing: number): tf.Scalar {
  const none = tf.Reduction.NONE;
  const cry = tf.losses.sigmoidCrossEntropy(b.cry, cryLogit, undefined, smoothing, none);
  const reason = tf.losses.softmaxCrossEntropy(b.reason, reasonLogits, undefined, smoothing, none);
  return tf.add(weightedMean(cry, b.cryWeight), weightedMean(reason, b.reasonWeight)) as tf.Scalar;
}

/** Logits of both outputs for `samples` (inference mode, batched). */
export function predictPatchLogits(
  model: tfl.LayersModel,
  samples: readonly Sample[],
  store: PatchStore,
  z: Standardization,
  batchSize = 64,
): Logits {
  const cry = new Float32Array(samples.length);
  const reason = new Float32Array(samples.length * K);
  const x = new Float32Array(batchSize * PATCH_SIZE);
  for (let start = 0; start < samples.length; start += batchSize) {
    const chunk = samples.slice(start, start + batchSize);
    chunk.forEach((s, i) => {
      standardizedRow(store, s, z, x.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE));
    });
    const [c, r] = tf.tidy(() => {
      const input = tf.tensor4d(x.subarray(0, chunk.length * PATCH_SIZE), [chunk.length, FRAMES, MELS, 1]);
      const [cl, rl] = model.predict(input) as tf.Tensor[];
      return [cl.dataSync() as Float32Array, rl.dataSync() as Float32Array];
    });
    cry.set(c, start);
    reason.set(r, start * K);
  }
  return { cry, reason };
}

/** Unsmoothed, class-weighted loss of logits, split by output, and the accuracies the curves show. */
function evaluate(l: Logits, samples: readonly Sample[], w: Weights) {
  let cryNum = 0;
  let cryDen = 0;
  let rNum = 0;
  let rDen = 0;
  let correct = 0;
  const hit = new Array(K).fill(0);
  const tot = new Array(K).fill(0);
  samples.forEach((s, i) => {
    const z = l.cry[i];
    const cw = s.cry ? w.cryPos : w.cryNeg;
    cryNum += cw * (Math.max(z, 0) - z * s.cry + Math.log1p(Math.exp(-Math.abs(z))));
    cryDen += cw;
    if (z > 0 === (s.cry === 1)) correct++;
    if (s.reason < 0) return;
    let max = Number.NEGATIVE_INFINITY;
    let best = 0;
    for (let k = 0; k < K; k++) {
      if (l.reason[i * K + k] > max) [max, best] = [l.reason[i * K + k], k];
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(l.reason[i * K + k] - max);
    rNum += w.reason[s.reason] * -(l.reason[i * K + s.reason] - max - Math.log(sum));
    rDen += w.reason[s.reason];
    tot[s.reason]++;
    if (best === s.reason) hit[s.reason]++;
  });
  const present = tot.map((t, k) => (t > 0 ? hit[k] / t : Number.NaN)).filter((v) => !Number.isNaN(v));
  return {
    cryLoss: cryNum / Math.max(cryDen, 1e-6),
    reasonLoss: rDen > 0 ? rNum / rDen : 0,
    cryAcc: correct / Math.max(1, samples.length),
    reasonBalAcc: present.length ? present.reduce((s, v) => s + v, 0) / present.length : Number.NaN,
  };
}

/** Sets an optimizer's learning rate (tfjs keeps it in a field its applyGradients reads each step). */
function setLearningRate(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

/**
 * Trains a patch architecture per its recipe: Adam or AdamW (decoupled weight decay on kernels), label
 * smoothing, class weights, mixup, SpecAugment masks, ReduceLROnPlateau and early stopping on `val`
 * (restoring the best epoch's weights), within the run's time budget.
 */
export async function trainPatchModel(
  train: Sample[],
  val: Sample[],
  store: PatchStore,
  o: PatchTrainOptions,
): Promise<TrainedPatchModel> {
  if (train.length < 2) throw new Error(`Expected at least 2 training samples, got ${train.length}`);
  const r = o.recipe;
  const model = o.build();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const decayed = model.trainableWeights
    .map((w, i) => ({ v: vars[i], kernel: /kernel/.test(w.originalName ?? w.name) }))
    .filter((x) => x.kernel)
    .map((x) => x.v);
  const opt = tf.train.adam(r.learningRate);
  let lr = r.learningRate;
  const rand = mulberry32(o.seed * 2654435761);
  const weights = classWeightsOf(train, r.classWeights);
  const z = standardizationOf(train, store);
  const history: PatchEpochRecord[] = [];
  const stopping = new EarlyStopping({
    patience: r.patience,
    plateauPatience: r.plateau.patience,
    factor: r.plateau.factor,
    minLearningRate: r.minLearningRate,
  });
  let stoppedByBudget = false;
  const order = train.map((_, i) => i);
  for (let epoch = 1; epoch <= o.maxEpochs && !stoppedByBudget; epoch++) {
    const t0 = performance.now();
    shuffleInPlace(order, rand);
    const n = o.samplesPerEpoch > 0 ? Math.min(o.samplesPerEpoch, order.length) : order.length;
    let lossSum = 0;
    let batches = 0;
    let seen = 0;
    for (let start = 0; start < n; start += r.batchSize) {
      if (performance.now() > o.deadline && batches > 0) {
        stoppedByBudget = true;
        break;
      }
      const samples = order.slice(start, Math.min(n, start + r.batchSize)).map((i) => train[i]);
      if (samples.length < 2) continue; // batch norm needs a batch
      const batch = makeBatch(samples, store, z, weights, r, rand);
      const { value, grads } = tf.variableGrads(() => {
        const [c, re] = model.apply(batch.x, { training: true }) as tf.Tensor[];
        return lossOf(c, re, batch, r.labelSmoothing);
      }, vars);
      opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      if (r.optimizer === "adamw" && r.weightDecay > 0) {
        tf.tidy(() => {
          for (const v of decayed) v.assign(tf.mul(v, 1 - lr * r.weightDecay));
        });
      }
      lossSum += (await value.data())[0];
      tf.dispose([
        value,
        ...Object.values(grads),
        batch.x,
        batch.cry,
        batch.cryWeight,
        batch.reason,
        batch.reasonWeight,
      ]);
      batches++;
      seen += samples.length;
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const v = evaluate(predictPatchLogits(model, val, store, z), val, weights);
    const monitor =
      val.length > 0 ? v.cryLoss + MONITOR_REASON_WEIGHT * v.reasonLoss : lossSum / Math.max(1, batches);
    const record: PatchEpochRecord = {
      epoch,
      lr,
      trainLoss: lossSum / Math.max(1, batches),
      valLoss: v.cryLoss + v.reasonLoss,
      valMonitor: monitor,
      trainCryAcc: Number.NaN,
      valCryAcc: v.cryAcc,
      trainReasonBalAcc: Number.NaN,
      valReasonBalAcc: v.reasonBalAcc,
      seconds: trainSeconds,
      samples: seen,
    };
    history.push(record);
    o.onEpoch?.(record);
    const next = stopping.update(epoch, monitor, model, lr);
    if (next.lr !== lr) setLearningRate(opt, next.lr);
    lr = next.lr;
    if (next.stop) break;
  }
  stopping.restore(model);
  opt.dispose();
  return { model, standardization: z, history, bestEpoch: stopping.bestEpoch, stoppedByBudget };
}
