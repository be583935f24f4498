import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { REASONS } from "../events.js";
import { mixInto } from "./augment.js";
import { EarlyStopping } from "./early-stopping.js";
import { type ClipFeatures, EMBEDDING_DIM } from "./features.js";
import { buildFcHead, buildMnv3Head, type HeadKind } from "./models.js";
import { betaSymmetric, mulberry32, shuffleInPlace } from "./random.js";

/** One training/evaluation example: one YAMNet patch of one clip. */
export interface Sample {
  features: ClipFeatures;
  patch: number;
  /** 1 = cry */
  cry: 0 | 1;
  /** index into REASONS, or -1 for non-cry */
  reason: number;
  /** index of the clip (for clip-level aggregation) */
  clip: number;
}

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

export interface Logits {
  cry: Float32Array;
  /** n × 5 */
  reason: Float32Array;
}

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

function stackRows(kind: HeadKind, samples: Sample[], mapShape: [number, number, number]): tf.Tensor {
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

function makeBatch(
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
function lossOf(
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

function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.cryTarget, b.cryWeight, b.reasonTarget, b.reasonWeight]);
}

/** Adam with decoupled weight decay (AdamW, Loshchilov & Hutter), with a settable learning rate. */
class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;
  constructor(
    private readonly vars: tf.Variable[],
    public lr: number,
    private readonly weightDecay: number,
    private readonly decay: boolean[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-7,
  ) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  step(grads: tf.NamedTensorMap): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        const g = grads[x.name];
        if (!g) return;
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        let next = tf.sub(x, tf.mul(update, this.lr));
        if (this.decay[i]) next = tf.sub(next, tf.mul(x, this.lr * this.weightDecay));
        x.assign(next);
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
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

export function weightsFor(train: readonly Sample[], cap: number): Weights {
  const pos = train.filter((s) => s.cry === 1).length;
  const neg = train.length - pos;
  return {
    cryPos: pos > 0 ? train.length / (2 * pos) : 0,
    cryNeg: neg > 0 ? train.length / (2 * neg) : 0,
    reason: reasonClassWeights(train, cap),
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
    let trainCorrect = 0;
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
      trainCorrect++;
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
    void trainCorrect;
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
