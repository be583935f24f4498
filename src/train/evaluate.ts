import type * as tfl from "@tensorflow/tfjs-layers";
import { REASONS } from "../events.js";
import { type Combination, combineLogits, type HeadLogits, yamnetEvidence } from "../inference/heads.js";
import {
  averagePrecision,
  bestF1Threshold,
  binaryF1,
  bootstrapOverGroups,
  calibration,
  classificationReport,
  type Interval,
  type MultiClassReport,
  type ReliabilityBin,
  rocAuc,
  sigmoid,
} from "./metrics.js";
import type { HeadKind } from "./models.js";
import { type Logits, predictLogits, type Sample } from "./trainer.js";

const K = REASONS.length;

/** Per-patch predictions of a set of clips, with what is known about each patch's clip. */
export interface PatchPredictions {
  /** calibrated cry probability per patch */
  cry: Float64Array;
  /** reason probabilities per patch (n × 5) */
  reasons: Float64Array;
  /** clip index per patch */
  clip: Int32Array;
  /** 1 = cry patch */
  isCry: Uint8Array;
}

export interface ClipInfo {
  group: string;
  isCry: boolean;
  /** reason index or −1 */
  reason: number;
}

/**
 * Logits of an ensemble: the mean of its members' logits (members trained alike from different seeds; the daemon
 * averages them the same way, src/inference/heads.ts).
 */
export function predictEnsembleLogits(
  models: readonly tfl.LayersModel[],
  kind: HeadKind,
  samples: Sample[],
  mapShape: [number, number, number],
): Logits {
  if (models.length === 0) throw new RangeError("Expected at least one ensemble member, got none");
  const sum = predictLogits(models[0], kind, samples, mapShape);
  for (const m of models.slice(1)) {
    const l = predictLogits(m, kind, samples, mapShape);
    for (let i = 0; i < sum.cry.length; i++) sum.cry[i] += l.cry[i];
    for (let i = 0; i < sum.reason.length; i++) sum.reason[i] += l.reason[i];
  }
  for (let i = 0; i < sum.cry.length; i++) sum.cry[i] /= models.length;
  for (let i = 0; i < sum.reason.length; i++) sum.reason[i] /= models.length;
  return sum;
}

/** Both heads' logits of the same patches, with YAMNet's class logits when the combination weighs them. */
export function toHeadLogits(fc: Logits, mn: Logits, yamnetLogits?: Float32Array): HeadLogits {
  return { fcCry: fc.cry, fcReason: fc.reason, mnCry: mn.cry, mnReason: mn.reason, yamnetLogits };
}

/** The combined, uncalibrated cry logit w·fc + (1 − w)·mnv3 of every patch. */
export function cryLogit(l: HeadLogits, fcWeight: number): Float64Array {
  return mix(l.fcCry, l.mnCry, fcWeight);
}

/** A single head as a combination (weight 1 on FC or 0 → MobileNetV3), uncalibrated. */
export function singleHead(kind: "fc" | "mnv3"): Combination {
  const w = kind === "fc" ? 1 : 0;
  return {
    cry: { fcWeight: w, scale: 1, bias: 0 },
    reason: { fcWeight: w, temperature: 1, bias: new Array(K).fill(0) },
  };
}

function mix(a: ArrayLike<number>, b: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = w * a[i] + (1 - w) * b[i];
  return out;
}

/** Platt scaling sigmoid(a·z + b + offset) fitted by gradient descent on the mean log-loss. */
export function fitPlatt(
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  offset?: ArrayLike<number>,
): { scale: number; bias: number } {
  let a = 1;
  let b = 0;
  const n = z.length;
  for (let it = 0; it < 400; it++) {
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const d = sigmoid(a * z[i] + b + (offset ? offset[i] : 0)) - y[i];
      ga += d * z[i];
      gb += d;
    }
    a -= (0.5 * ga) / n / Math.max(1, meanAbs(z));
    b -= (0.5 * gb) / n;
  }
  return { scale: a, bias: b };
}

function meanAbs(z: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.abs(z[i]);
  return s / Math.max(1, z.length);
}

/** Mean log-loss of probabilities `p` for binary labels `y` (probabilities clamped to [1e-7, 1 − 1e-7]). */
export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++)
    s -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, y[i] ? p[i] : 1 - p[i])));
  return s / Math.max(1, p.length);
}

/**
 * Fits softmax(a · logits + b) (a = 1 / temperature, b one bias per reason) to the reason labels of the cry
 * patches by gradient descent on the mean NLL: calibrated to the labels' own frequencies.
 */
export function fitReasonCalibration(
  logits: ArrayLike<number>,
  reason: Int32Array,
): { temperature: number; bias: number[]; nll: number } {
  const rows = [...reason.keys()].filter((i) => reason[i] >= 0);
  let a = 1;
  const b = new Array(K).fill(0);
  const p = new Float64Array(K);
  const nllAt = (): number => {
    let s = 0;
    for (const i of rows) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < K; c++) max = Math.max(max, a * logits[i * K + c] + b[c]);
      let sum = 0;
      for (let c = 0; c < K; c++) sum += Math.exp(a * logits[i * K + c] + b[c] - max);
      s -= a * logits[i * K + reason[i]] + b[reason[i]] - max - Math.log(sum);
    }
    return s / Math.max(1, rows.length);
  };
  if (rows.length === 0) return { temperature: 1, bias: b, nll: Number.NaN };
  // Adam on (a, b): the problem is convex, 400 steps are plenty
  const m = new Float64Array(K + 1);
  const v = new Float64Array(K + 1);
  for (let t = 1; t <= 400; t++) {
    const g = new Float64Array(K + 1);
    for (const i of rows) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < K; c++) max = Math.max(max, a * logits[i * K + c] + b[c]);
      let sum = 0;
      for (let c = 0; c < K; c++) {
        p[c] = Math.exp(a * logits[i * K + c] + b[c] - max);
        sum += p[c];
      }
      for (let c = 0; c < K; c++) {
        const d = p[c] / sum - (c === reason[i] ? 1 : 0);
        g[0] += d * logits[i * K + c];
        g[c + 1] += d;
      }
    }
    for (let j = 0; j <= K; j++) {
      const gj = g[j] / rows.length;
      m[j] = 0.9 * m[j] + 0.1 * gj;
      v[j] = 0.999 * v[j] + 0.001 * gj * gj;
      const step = (0.05 * (m[j] / (1 - 0.9 ** t))) / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8);
      if (j === 0) a = Math.max(1e-3, a - step);
      else b[j - 1] -= step;
    }
  }
  return { temperature: 1 / a, bias: b, nll: nllAt() };
}

/**
 * Chooses the combination on validation predictions only: the FC weight of the cry logit by ROC AUC (ties:
 * log-loss), then Platt scaling; the FC weight of the reason logits, a temperature and per-reason biases by NLL.
 */
export function chooseCombination(l: HeadLogits, isCry: Uint8Array, reason: Int32Array): Combination {
  let cryBest = { w: 1, auc: -1, loss: Number.POSITIVE_INFINITY, scale: 1, bias: 0 };
  let reasonBest = { w: 1, temperature: 1, bias: new Array(K).fill(0), nll: Number.POSITIVE_INFINITY };
  for (let step = 0; step <= 10; step++) {
    const w = step / 10;
    const z = mix(l.fcCry, l.mnCry, w);
    const auc = rocAuc(z, isCry);
    const platt = fitPlatt(z, isCry);
    const p = z.map((v) => sigmoid(platt.scale * v + platt.bias));
    const loss = logLoss(p, isCry);
    if (auc > cryBest.auc + 1e-4 || (Math.abs(auc - cryBest.auc) <= 1e-4 && loss < cryBest.loss)) {
      cryBest = { w, auc, loss, ...platt };
    }
    const r = mix(l.fcReason, l.mnReason, w);
    const fit = fitReasonCalibration(r, reason);
    if (fit.nll < reasonBest.nll - 1e-6) reasonBest = { w, ...fit };
  }
  return {
    cry: { fcWeight: cryBest.w, scale: cryBest.scale, bias: cryBest.bias },
    reason: { fcWeight: reasonBest.w, temperature: reasonBest.temperature, bias: reasonBest.bias },
  };
}

/**
 * Keeps the FC weights (and YAMNet evidence weights) of `c`, refits Platt scaling and the reason
 * temperature/biases on other validation logits.
 */
export function recalibrate(
  l: HeadLogits,
  isCry: Uint8Array,
  reason: Int32Array,
  c: Combination,
): Combination {
  const w = c.cry.yamnet;
  const offset = w ? Float64Array.from(isCry, (_, i) => yamnetEvidence(w, l.yamnetLogits!, i)) : undefined;
  const platt = fitPlatt(mix(l.fcCry, l.mnCry, c.cry.fcWeight), isCry, offset);
  const fit = fitReasonCalibration(mix(l.fcReason, l.mnReason, c.reason.fcWeight), reason);
  return {
    cry: { ...c.cry, ...platt },
    reason: { fcWeight: c.reason.fcWeight, temperature: fit.temperature, bias: fit.bias },
  };
}

export function predictionsFrom(
  l: HeadLogits,
  c: Combination,
  clip: Int32Array,
  isCry: Uint8Array,
): PatchPredictions {
  const { cry, reasons } = combineLogits(l, c);
  return { cry, reasons, clip, isCry };
}

/** Clip-level means of patch probabilities. */
export function clipMeans(
  p: PatchPredictions,
  clipCount: number,
): { cry: Float64Array; reasons: Float64Array; has: Uint8Array } {
  const cry = new Float64Array(clipCount);
  const reasons = new Float64Array(clipCount * K);
  const n = new Float64Array(clipCount);
  const has = new Uint8Array(clipCount);
  p.clip.forEach((c, i) => {
    n[c]++;
    has[c] = 1;
    cry[c] += p.cry[i];
    for (let k = 0; k < K; k++) reasons[c * K + k] += p.reasons[i * K + k];
  });
  for (let c = 0; c < clipCount; c++) {
    if (!n[c]) continue;
    cry[c] /= n[c];
    for (let k = 0; k < K; k++) reasons[c * K + k] /= n[c];
  }
  return { cry, reasons, has };
}

function argmaxRow(x: ArrayLike<number>, row: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (x[row * K + k] > x[row * K + best]) best = k;
  return best;
}

export interface SetMetrics {
  reason: MultiClassReport;
  /** the majority baseline: always the most frequent training reason */
  reasonBaseline: MultiClassReport;
  /** the prior-corrected decision argmax p(r|x) / p(r): what macro-F1 and balanced accuracy reward */
  reasonPriorCorrected: MultiClassReport;
  reasonPriorCorrectedMacroF1CI: Interval;
  reasonPriorCorrectedBalancedAccCI: Interval;
  reasonMacroF1CI: Interval;
  reasonBalancedAccCI: Interval;
  reasonEce: number;
  reasonReliability: ReliabilityBin[];
  /** share of cry clips answered "unsure" at the unsure threshold; balanced accuracy of the rest */
  unsureRate: number;
  confidentBalancedAccuracy: number;
  /** accuracy of the named (not unsure) reasons, and of always naming the most common one on the same clips */
  confidentAccuracy: number;
  confidentMajorityAccuracy: number;
  cryPatchAuc: number;
  cryPatchAp: number;
  cryPatchF1: number;
  cryClipAuc: number;
  cryClipAucCI: Interval;
  cryClipAp: number;
  cryClipF1: number;
  cryEce: number;
  cryReliability: ReliabilityBin[];
  /** cry ROC AUC (patch level) with the negatives not band-limited; null when not measured */
  cryPatchAucFullBandNegatives: number | null;
  cryClipAucFullBandNegatives: number | null;
  /** YAMNet's own cry score (max of classes 19–21), patch level, for reference */
  yamnetCryPatchAuc: number | null;
  patches: number;
  clips: number;
  cryClips: number;
}

export interface EvaluateInput {
  preds: PatchPredictions;
  clips: ClipInfo[];
  cryThreshold: number;
  unsureThreshold: number;
  majorityReason: number;
  /** frequencies of the reasons among the training cry clips */
  reasonPrior: number[];
  /** predictions on the same patches with negatives kept full-band (cry patches identical) */
  fullBand?: PatchPredictions;
  yamnetCry?: Float64Array;
  bootstrapReps: number;
  seed: number;
}

/** Every figure of one evaluation set (clip-level reasons, patch- and clip-level cry detection, calibration). */
export function evaluateSet(e: EvaluateInput): SetMetrics {
  const { preds, clips } = e;
  const means = clipMeans(preds, clips.length);
  const cryClipIdx = clips
    .map((_c, i) => i)
    .filter((i) => means.has[i] && clips[i].isCry && clips[i].reason >= 0);
  const allClipIdx = clips.map((_, i) => i).filter((i) => means.has[i]);
  const truth = cryClipIdx.map((i) => clips[i].reason);
  const pred = cryClipIdx.map((i) => argmaxRow(means.reasons, i));
  const reason = classificationReport(truth, pred, REASONS);
  const reasonBaseline = classificationReport(
    truth,
    truth.map(() => e.majorityReason),
    REASONS,
  );
  const groupsOfCry = cryClipIdx.map((i) => clips[i].group);
  /** 95 % bootstrap interval over groups of a clip-level reason metric. */
  const reasonCI = (predicted: number[], metric: "macroF1" | "balancedAccuracy", seed: number) =>
    bootstrapOverGroups(
      groupsOfCry,
      (idx) =>
        classificationReport(
          idx.map((j) => truth[j]),
          idx.map((j) => predicted[j]),
          REASONS,
        )[metric],
      e.bootstrapReps,
      seed,
    );
  const corrected = cryClipIdx.map((i) => {
    let best = 0;
    for (let k = 1; k < K; k++) {
      if (means.reasons[i * K + k] / e.reasonPrior[k] > means.reasons[i * K + best] / e.reasonPrior[best])
        best = k;
    }
    return best;
  });
  const reasonPriorCorrected = classificationReport(truth, corrected, REASONS);
  const correctedF1CI = reasonCI(corrected, "macroF1", e.seed + 3);
  const correctedBalCI = reasonCI(corrected, "balancedAccuracy", e.seed + 4);
  const macroF1CI = reasonCI(pred, "macroF1", e.seed);
  const balCI = reasonCI(pred, "balancedAccuracy", e.seed + 1);
  const topConf = cryClipIdx.map((i) => {
    let m = 0;
    for (let k = 0; k < K; k++) m = Math.max(m, means.reasons[i * K + k]);
    return m;
  });
  const reasonCal = calibration(
    topConf,
    pred.map((p, j) => (p === truth[j] ? 1 : 0)),
  );
  const confident = cryClipIdx.map((_, j) => topConf[j] >= e.unsureThreshold);
  const confTruth = truth.filter((_, j) => confident[j]);
  const confPred = pred.filter((_, j) => confident[j]);
  const confidentAccuracy = confTruth.length
    ? confTruth.filter((t, j) => t === confPred[j]).length / confTruth.length
    : Number.NaN;
  const confidentMajorityAccuracy = confTruth.length
    ? confTruth.filter((t) => t === e.majorityReason).length / confTruth.length
    : Number.NaN;
  const confidentBalancedAccuracy = confTruth.length
    ? classificationReport(confTruth, confPred, REASONS).balancedAccuracy
    : Number.NaN;

  const cryLabels = preds.isCry;
  const clipLabels = allClipIdx.map((i) => (clips[i].isCry ? 1 : 0));
  const clipCry = allClipIdx.map((i) => means.cry[i]);
  const cryCal = calibration(preds.cry, cryLabels);
  const clipGroups = allClipIdx.map((i) => clips[i].group);
  const cryClipAucCI = bootstrapOverGroups(
    clipGroups,
    (idx) =>
      rocAuc(
        idx.map((j) => clipCry[j]),
        idx.map((j) => clipLabels[j]),
      ),
    e.bootstrapReps,
    e.seed + 2,
  );
  let fullPatch: number | null = null;
  let fullClip: number | null = null;
  if (e.fullBand) {
    fullPatch = rocAuc(e.fullBand.cry, e.fullBand.isCry);
    const fm = clipMeans(e.fullBand, clips.length);
    fullClip = rocAuc(
      allClipIdx.map((i) => fm.cry[i]),
      clipLabels,
    );
  }
  return {
    reason,
    reasonBaseline,
    reasonPriorCorrected,
    reasonPriorCorrectedMacroF1CI: correctedF1CI,
    reasonPriorCorrectedBalancedAccCI: correctedBalCI,
    reasonMacroF1CI: macroF1CI,
    reasonBalancedAccCI: balCI,
    reasonEce: reasonCal.ece,
    reasonReliability: reasonCal.bins,
    unsureRate: confident.length ? confident.filter((c) => !c).length / confident.length : Number.NaN,
    confidentBalancedAccuracy,
    confidentAccuracy,
    confidentMajorityAccuracy,
    cryPatchAuc: rocAuc(preds.cry, cryLabels),
    cryPatchAp: averagePrecision(preds.cry, cryLabels),
    cryPatchF1: binaryF1(preds.cry, cryLabels, e.cryThreshold),
    cryClipAuc: rocAuc(clipCry, clipLabels),
    cryClipAucCI,
    cryClipAp: averagePrecision(clipCry, clipLabels),
    cryClipF1: binaryF1(clipCry, clipLabels, e.cryThreshold),
    cryEce: cryCal.ece,
    cryReliability: cryCal.bins,
    cryPatchAucFullBandNegatives: fullPatch,
    cryClipAucFullBandNegatives: fullClip,
    yamnetCryPatchAuc: e.yamnetCry ? rocAuc(e.yamnetCry, cryLabels) : null,
    patches: preds.cry.length,
    clips: allClipIdx.length,
    cryClips: cryClipIdx.length,
  };
}

/**
 * Cry threshold: best F1 on validation patches. Unsure threshold: the lowest top-reason probability at which
 * the named reasons of the validation cry clips are right clearly more often (+0.05) than always naming the
 * most common reason would be; 1 (always "unsure") when no threshold gets there.
 */
export function chooseThresholds(
  preds: PatchPredictions,
  clips: ClipInfo[],
): { cry: number; unsure: number } {
  const cry = bestF1Threshold(preds.cry, preds.isCry);
  const means = clipMeans(preds, clips.length);
  const idx = clips.map((_, i) => i).filter((i) => means.has[i] && clips[i].reason >= 0);
  const counts = new Array(K).fill(0);
  for (const i of idx) counts[clips[i].reason]++;
  const majorityRate = Math.max(...counts) / Math.max(1, idx.length);
  let unsure = 1;
  for (let t = 0.3; t <= 0.991; t += 0.01) {
    const keep = idx.filter((i) => {
      let m = 0;
      for (let k = 0; k < K; k++) m = Math.max(m, means.reasons[i * K + k]);
      return m >= t;
    });
    if (keep.length < Math.max(5, idx.length * 0.05)) break;
    const right = keep.filter((i) => argmaxRow(means.reasons, i) === clips[i].reason).length;
    if (right / keep.length >= majorityRate + 0.05) {
      unsure = Math.round(t * 100) / 100;
      break;
    }
  }
  return { cry: Math.round(cry * 1e4) / 1e4, unsure };
}
