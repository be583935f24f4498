import { REASONS } from "../events.js";
import { type Combination, combineLogits, type HeadLogits } from "../inference/heads.js";
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
import type { Logits } from "./trainer.js";

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

export function toHeadLogits(fc: Logits, mn: Logits): HeadLogits {
  return { fcCry: fc.cry, fcReason: fc.reason, mnCry: mn.cry, mnReason: mn.reason };
}

/** A single head as a combination (weight 1 on FC or 0 → MobileNetV3), uncalibrated. */
export function singleHead(kind: "fc" | "mnv3"): Combination {
  const w = kind === "fc" ? 1 : 0;
  return { cry: { fcWeight: w, scale: 1, bias: 0 }, reason: { fcWeight: w, temperature: 1 } };
}

function mix(a: ArrayLike<number>, b: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = w * a[i] + (1 - w) * b[i];
  return out;
}

/** Platt scaling sigmoid(a·z + b) fitted by gradient descent on the mean log-loss. */
export function fitPlatt(z: ArrayLike<number>, y: ArrayLike<number>): { scale: number; bias: number } {
  let a = 1;
  let b = 0;
  const n = z.length;
  for (let it = 0; it < 400; it++) {
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const d = sigmoid(a * z[i] + b) - y[i];
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

function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++)
    s -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, y[i] ? p[i] : 1 - p[i])));
  return s / Math.max(1, p.length);
}

/** Class-balanced mean NLL of softmax(logits / T) over cry patches. */
function reasonNll(logits: Float64Array, reason: Int32Array, t: number): number {
  const counts = new Array(K).fill(0);
  for (const r of reason) if (r >= 0) counts[r]++;
  let num = 0;
  let den = 0;
  reason.forEach((r, i) => {
    if (r < 0) return;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < K; c++) max = Math.max(max, logits[i * K + c] / t);
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp(logits[i * K + c] / t - max);
    const w = 1 / counts[r];
    num -= w * (logits[i * K + r] / t - max - Math.log(sum));
    den += w;
  });
  return den > 0 ? num / den : Number.NaN;
}

function bestTemperature(logits: Float64Array, reason: Int32Array): { t: number; nll: number } {
  let best = { t: 1, nll: Number.POSITIVE_INFINITY };
  for (let e = -12; e <= 16; e++) {
    const t = 2 ** (e / 4);
    const nll = reasonNll(logits, reason, t);
    if (nll < best.nll) best = { t, nll };
  }
  return best;
}

/**
 * Chooses the combination on validation predictions only: the FC weight of the cry logit by ROC AUC (ties:
 * log-loss), then Platt scaling; the FC weight of the reason logits and the temperature by class-balanced NLL.
 */
export function chooseCombination(l: HeadLogits, isCry: Uint8Array, reason: Int32Array): Combination {
  let cryBest = { w: 1, auc: -1, loss: Number.POSITIVE_INFINITY, scale: 1, bias: 0 };
  let reasonBest = { w: 1, t: 1, nll: Number.POSITIVE_INFINITY };
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
    const { t, nll } = bestTemperature(r, reason);
    if (nll < reasonBest.nll) reasonBest = { w, t, nll };
  }
  return {
    cry: { fcWeight: cryBest.w, scale: cryBest.scale, bias: cryBest.bias },
    reason: { fcWeight: reasonBest.w, temperature: reasonBest.t },
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
  reasonMacroF1CI: Interval;
  reasonBalancedAccCI: Interval;
  reasonEce: number;
  reasonReliability: ReliabilityBin[];
  /** share of cry clips answered "unsure" at the unsure threshold; balanced accuracy of the rest */
  unsureRate: number;
  confidentBalancedAccuracy: number;
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
  const macroF1CI = bootstrapOverGroups(
    groupsOfCry,
    (idx) =>
      classificationReport(
        idx.map((j) => truth[j]),
        idx.map((j) => pred[j]),
        REASONS,
      ).macroF1,
    e.bootstrapReps,
    e.seed,
  );
  const balCI = bootstrapOverGroups(
    groupsOfCry,
    (idx) =>
      classificationReport(
        idx.map((j) => truth[j]),
        idx.map((j) => pred[j]),
        REASONS,
      ).balancedAccuracy,
    e.bootstrapReps,
    e.seed + 1,
  );
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
    reasonMacroF1CI: macroF1CI,
    reasonBalancedAccCI: balCI,
    reasonEce: reasonCal.ece,
    reasonReliability: reasonCal.bins,
    unsureRate: confident.length ? confident.filter((c) => !c).length / confident.length : Number.NaN,
    confidentBalancedAccuracy,
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

/** Cry threshold: best F1 on validation patches. Unsure threshold: the lowest top-reason probability at which
 *  the confident clips reach a balanced accuracy of at least twice chance, else 1 (always unsure). */
export function chooseThresholds(
  preds: PatchPredictions,
  clips: ClipInfo[],
): { cry: number; unsure: number } {
  const cry = bestF1Threshold(preds.cry, preds.isCry);
  const means = clipMeans(preds, clips.length);
  const idx = clips.map((_, i) => i).filter((i) => means.has[i] && clips[i].reason >= 0);
  let unsure = 1;
  for (let t = 0.3; t <= 0.951; t += 0.05) {
    const keep = idx.filter((i) => {
      let m = 0;
      for (let k = 0; k < K; k++) m = Math.max(m, means.reasons[i * K + k]);
      return m >= t;
    });
    if (keep.length < Math.max(5, idx.length * 0.05)) break;
    const rep = classificationReport(
      keep.map((i) => clips[i].reason),
      keep.map((i) => argmaxRow(means.reasons, i)),
      REASONS,
    );
    if (rep.balancedAccuracy >= 2 / K) {
      unsure = Math.round(t * 100) / 100;
      break;
    }
  }
  return { cry: Math.round(cry * 1e4) / 1e4, unsure };
}
