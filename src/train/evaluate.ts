import type * as tfl from "@tensorflow/tfjs-layers";
import { REASONS } from "../events.js";
import { type Combination, combineLogits, type HeadLogits } from "../inference/heads.js";
import {
  averagePrecision,
  binaryF1,
  bootstrapOverGroups,
  calibration,
  classificationReport,
  type Interval,
  type MultiClassReport,
  type ReliabilityBin,
  rocAuc,
} from "./metrics.js";
import type { HeadKind } from "./models.js";
import type { Logits, Sample } from "./sample.js";
import { predictLogits } from "./trainer.js";

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

export function predictionsFrom(
  l: HeadLogits,
  c: Combination,
  clip: Int32Array,
  isCry: Uint8Array,
): PatchPredictions {
  const { cry, reasons } = combineLogits(l, c);
  return { cry, reasons, clip, isCry };
}

/** predictionsFrom for the patches of `samples`: each patch's clip and cry label are the sample's. */
export function predictionsOfSamples(
  l: HeadLogits,
  c: Combination,
  samples: readonly Sample[],
): PatchPredictions {
  return predictionsFrom(
    l,
    c,
    Int32Array.from(samples, (x) => x.clip),
    Uint8Array.from(samples, (x) => x.cry),
  );
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

export function argmaxRow(x: ArrayLike<number>, row: number): number {
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
