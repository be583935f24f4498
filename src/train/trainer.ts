import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { REASONS } from "../events.js";
import { AdamW } from "./adamw.js";
import { disposeBatch, lossOf, makeBatch, stackRows, type Weights, weightsFor } from "./batches.js";
import { EarlyStopping } from "./early-stopping.js";
import { EMBEDDING_DIM } from "./features.js";
import { buildFcHead, buildMnv3Head, type HeadKind } from "./models.js";
import { mulberry32, shuffleInPlace } from "./random.js";
import type { Logits, Sample } from "./sample.js";

export interface TrainOptions {
  kind: HeadKind;
  seed: number;
  maxEpochs: number;
  /** early stopping patience (epochs without validation-loss improvement) */
  patience: number;
  /** ReduceLROnPlateau: halve the learning rate after this many epochs without improvement */
  plateauPatience: number;
  learningRate: number;
  minLearningRate: number;
  /** decoupled weight decay (AdamW), applied to kernels only */
  weightDecay: number;
  batchSize: number;
  /** random subset of the training samples per epoch (0 = all) */
  samplesPerEpoch: number;
  labelSmoothing: number;
  /** probability that a batch is mixed up (within cry and within non-cry samples), Beta(α, α) */
  mixupProb: number;
  mixupAlpha: number;
  /** weight of the reason loss next to the cry loss */
  reasonLossWeight: number;
  /**
   * weight of the reason loss in the monitored validation loss (early stopping, LR plateau): the reason
   * labels carry little signal, and their validation loss rising must not stop the cry output's training
   */
  monitorReasonWeight: number;
  /** upper bound of the balanced reason class weights */
  maxClassWeight: number;
  dropout: number;
  fcHidden: number;
  mnv3Width: number;
  mnv3Expansion: number;
  mapShape: [number, number, number];
  onEpoch?: (e: EpochRecord) => void;
}

export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, "kind" | "seed" | "mapShape"> = {
  maxEpochs: 40,
  patience: 5,
  plateauPatience: 2,
  learningRate: 1e-3,
  minLearningRate: 1e-5,
  weightDecay: 1e-2,
  batchSize: 64,
  samplesPerEpoch: 0,
  labelSmoothing: 0.1,
  mixupProb: 0.5,
  mixupAlpha: 0.4,
  reasonLossWeight: 1,
  monitorReasonWeight: 0.25,
  maxClassWeight: 10,
  dropout: 0.5,
  fcHidden: 128,
  mnv3Width: 16,
  mnv3Expansion: 4,
};

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  valLoss: number;
  /** what early stopping watches: val cry loss + monitorReasonWeight · val reason loss */
  valMonitor: number;
  /** cry-vs-not accuracy at 0.5 */
  trainCryAcc: number;
  valCryAcc: number;
  /** balanced accuracy of the reason output on cry patches */
  trainReasonBalAcc: number;
  valReasonBalAcc: number;
}

export interface TrainedHead {
  model: tfl.LayersModel;
  history: EpochRecord[];
  bestEpoch: number;
}

export function buildHead(o: TrainOptions): tfl.LayersModel {
  return o.kind === "fc"
    ? buildFcHead({ inputDim: EMBEDDING_DIM, hidden: o.fcHidden, dropout: o.dropout, seed: o.seed })
    : buildMnv3Head({
        inputShape: o.mapShape,
        width: o.mnv3Width,
        expansion: o.mnv3Expansion,
        dropout: Math.min(o.dropout, 0.3),
        seed: o.seed,
      });
}

/** Logits of both outputs for `samples` (inference mode, batched). */
export function predictLogits(
  model: tfl.LayersModel,
  kind: HeadKind,
  samples: Sample[],
  mapShape: [number, number, number],
  batchSize = 256,
): Logits {
  const cry = new Float32Array(samples.length);
  const reason = new Float32Array(samples.length * REASONS.length);
  for (let start = 0; start < samples.length; start += batchSize) {
    const chunk = samples.slice(start, start + batchSize);
    const [c, r] = tf.tidy(() => {
      const x = stackRows(kind, chunk, mapShape);
      const [cl, rl] = model.predict(x) as tf.Tensor[];
      return [cl.dataSync() as Float32Array, rl.dataSync() as Float32Array];
    });
    cry.set(c, start);
    reason.set(r, start * REASONS.length);
  }
  return { cry, reason };
}

function batchAccuracy(logits: Logits, samples: Sample[]): { cryAcc: number; reasonBalAcc: number } {
  let correct = 0;
  const k = REASONS.length;
  const hit = new Array(k).fill(0);
  const tot = new Array(k).fill(0);
  samples.forEach((s, i) => {
    if (logits.cry[i] > 0 === (s.cry === 1)) correct++;
    if (s.reason >= 0) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits.reason[i * k + c] > logits.reason[i * k + best]) best = c;
      tot[s.reason]++;
      if (best === s.reason) hit[s.reason]++;
    }
  });
  const present = tot.map((t, c) => (t > 0 ? hit[c] / t : Number.NaN)).filter((v) => !Number.isNaN(v));
  return {
    cryAcc: correct / Math.max(1, samples.length),
    reasonBalAcc: present.length ? present.reduce((a, b) => a + b, 0) / present.length : Number.NaN,
  };
}

/**
 * Trains one head with a custom loop: AdamW, label smoothing, class weights, mixup, ReduceLROnPlateau
 * and early stopping on `val` (restoring the best epoch's weights).
 */
export async function trainHead(train: Sample[], val: Sample[], o: TrainOptions): Promise<TrainedHead> {
  if (train.length === 0) throw new Error("Expected training samples, got none");
  const model = buildHead(o);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const decay = model.trainableWeights.map((w) => /kernel/.test(w.originalName ?? w.name));
  const opt = new AdamW(vars, o.learningRate, o.weightDecay, decay);
  const rand = mulberry32(o.seed * 2654435761);
  const weights = weightsFor(train, o.maxClassWeight);
  const history: EpochRecord[] = [];
  const stopping = new EarlyStopping({
    patience: o.patience,
    plateauPatience: o.plateauPatience,
    factor: 0.5,
    minLearningRate: o.minLearningRate,
  });
  const order = train.map((_, i) => i);
  for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
    shuffleInPlace(order, rand);
    const n = o.samplesPerEpoch > 0 ? Math.min(o.samplesPerEpoch, order.length) : order.length;
    let lossSum = 0;
    let batches = 0;
    const trainRecords: Sample[] = [];
    const trainLogits: { cry: number[]; reason: number[] } = { cry: [], reason: [] };
    for (let start = 0; start < n; start += o.batchSize) {
      const samples = order.slice(start, Math.min(n, start + o.batchSize)).map((i) => train[i]);
      if (samples.length < 2) continue; // batch norm needs a batch
      const batch = makeBatch(o.kind, samples, o.mapShape, weights, o.labelSmoothing, {
        prob: o.mixupProb,
        alpha: o.mixupAlpha,
        rand,
      });
      const { value, grads, cl, rl } = tf.tidy(() => {
        let cl: tf.Tensor | null = null;
        let rl: tf.Tensor | null = null;
        const r = tf.variableGrads(() => {
          const [c, re] = model.apply(batch.x, { training: true }) as tf.Tensor[];
          cl = tf.keep(c.clone());
          rl = tf.keep(re.clone());
          return lossOf(c, re, batch, o.reasonLossWeight);
        }, vars);
        return { value: r.value, grads: r.grads, cl: cl!, rl: rl! };
      });
      opt.step(grads);
      lossSum += (await value.data())[0];
      batches++;
      trainRecords.push(...samples);
      for (const v of cl.dataSync()) trainLogits.cry.push(v);
      for (const v of rl.dataSync()) trainLogits.reason.push(v);
      tf.dispose([value, cl, rl, ...Object.values(grads)]);
      disposeBatch(batch);
    }
    const trainAcc = batchAccuracy(
      { cry: Float32Array.from(trainLogits.cry), reason: Float32Array.from(trainLogits.reason) },
      trainRecords,
    );
    const valLogits = predictLogits(model, o.kind, val, o.mapShape);
    const parts = val.length > 0 ? evalLoss(valLogits, val, weights) : null;
    const valLoss = parts ? parts.cry + parts.reason : lossSum / Math.max(1, batches);
    const valMonitor = parts ? parts.cry + o.monitorReasonWeight * parts.reason : valLoss;
    const valAcc = batchAccuracy(valLogits, val);
    const record: EpochRecord = {
      epoch,
      lr: opt.lr,
      trainLoss: lossSum / Math.max(1, batches),
      valLoss,
      valMonitor,
      trainCryAcc: trainAcc.cryAcc,
      valCryAcc: valAcc.cryAcc,
      trainReasonBalAcc: trainAcc.reasonBalAcc,
      valReasonBalAcc: valAcc.reasonBalAcc,
    };
    history.push(record);
    o.onEpoch?.(record);
    const next = stopping.update(epoch, valMonitor, model, opt.lr);
    opt.lr = next.lr;
    if (next.stop) break;
  }
  stopping.restore(model);
  opt.dispose();
  return { model, history, bestEpoch: stopping.bestEpoch };
}

/** Unsmoothed, class-weighted validation loss from logits (same weighting as training). */
function evalLoss(l: Logits, samples: Sample[], w: Weights): { cry: number; reason: number } {
  const k = REASONS.length;
  let cryNum = 0;
  let cryDen = 0;
  let rNum = 0;
  let rDen = 0;
  samples.forEach((s, i) => {
    const z = l.cry[i];
    const bce = Math.max(z, 0) - z * s.cry + Math.log1p(Math.exp(-Math.abs(z)));
    const cw = s.cry ? w.cryPos : w.cryNeg;
    cryNum += cw * bce;
    cryDen += cw;
    if (s.reason >= 0) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) max = Math.max(max, l.reason[i * k + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(l.reason[i * k + c] - max);
      const ce = -(l.reason[i * k + s.reason] - max - Math.log(sum));
      rNum += w.reason[s.reason] * ce;
      rDen += w.reason[s.reason];
    }
  });
  return { cry: cryNum / Math.max(cryDen, 1e-6), reason: rDen > 0 ? rNum / rDen : 0 };
}
