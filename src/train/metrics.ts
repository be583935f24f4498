import { mulberry32 } from "./random.js";

/** Area under the ROC curve (Mann–Whitney, ties counted half). NaN when one class is missing. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < labels.length; i++) labels[i] ? pos++ : neg++;
  if (pos === 0 || neg === 0) return Number.NaN;
  let rankSum = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (labels[idx[t]]) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface CurvePoint {
  threshold: number;
  tpr: number;
  fpr: number;
  precision: number;
  recall: number;
}

/** ROC and PR points at every distinct score (descending thresholds). */
export function curves(scores: ArrayLike<number>, labels: ArrayLike<number>): CurvePoint[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  const neg = labels.length - pos;
  const points: CurvePoint[] = [
    { threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0, precision: 1, recall: 0 },
  ];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]]) tp++;
    else fp++;
    if (k + 1 < idx.length && scores[idx[k + 1]] === scores[idx[k]]) continue;
    points.push({
      threshold: scores[idx[k]],
      tpr: pos ? tp / pos : 0,
      fpr: neg ? fp / neg : 0,
      precision: tp / (tp + fp),
      recall: pos ? tp / pos : 0,
    });
  }
  return points;
}

/** Average precision (area under the PR curve, step-wise as sklearn). */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const pts = curves(scores, labels);
  let ap = 0;
  for (let i = 1; i < pts.length; i++) ap += (pts[i].recall - pts[i - 1].recall) * pts[i].precision;
  return ap;
}

export function binaryF1(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] >= threshold;
    if (p && labels[i]) tp++;
    else if (p) fp++;
    else if (labels[i]) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** The threshold that maximises F1 (ties → the higher threshold: fewer false alarms). */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let best = 0.5;
  let bestF1 = -1;
  for (const p of curves(scores, labels)) {
    if (!Number.isFinite(p.threshold)) continue;
    const f1 = p.precision + p.recall > 0 ? (2 * p.precision * p.recall) / (p.precision + p.recall) : 0;
    if (f1 > bestF1 + 1e-12) {
      bestF1 = f1;
      best = p.threshold;
    }
  }
  return best;
}

export interface ClassReport {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface MultiClassReport {
  perClass: ClassReport[];
  accuracy: number;
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  weightedF1: number;
  balancedAccuracy: number;
  /** confusion[true][pred] */
  confusion: number[][];
  n: number;
}

/** Per-class precision/recall/F1, accuracy, macro and weighted averages, balanced accuracy (sklearn's definitions; classes without support are left out of the macro averages of recall). */
export function classificationReport(
  truth: number[],
  pred: number[],
  labels: readonly string[],
): MultiClassReport {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array(k).fill(0));
  truth.forEach((t, i) => {
    confusion[t][pred[i]]++;
  });
  const perClass: ClassReport[] = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((c) => c.support > 0);
  const n = truth.length;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  return {
    perClass,
    accuracy: n ? truth.filter((t, i) => t === pred[i]).length / n : Number.NaN,
    macroF1: mean(present.map((c) => c.f1)),
    macroPrecision: mean(present.map((c) => c.precision)),
    macroRecall: mean(present.map((c) => c.recall)),
    weightedF1: n ? present.reduce((a, c) => a + c.f1 * c.support, 0) / n : Number.NaN,
    balancedAccuracy: mean(present.map((c) => c.recall)),
    confusion,
    n,
  };
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  confidence: number;
  accuracy: number;
}

/** Expected calibration error over equal-width confidence bins, and the bins for a reliability diagram. */
export function calibration(
  confidence: ArrayLike<number>,
  correct: ArrayLike<number>,
  bins = 10,
): { ece: number; bins: ReliabilityBin[] } {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: 0,
    confidence: 0,
    accuracy: 0,
  }));
  for (let i = 0; i < confidence.length; i++) {
    const b = Math.min(bins - 1, Math.floor(confidence[i] * bins));
    out[b].count++;
    out[b].confidence += confidence[i];
    out[b].accuracy += correct[i];
  }
  let ece = 0;
  for (const b of out) {
    if (b.count === 0) continue;
    b.confidence /= b.count;
    b.accuracy /= b.count;
    ece += (b.count / confidence.length) * Math.abs(b.accuracy - b.confidence);
  }
  return { ece, bins: out };
}

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
}

/**
 * 95 % percentile bootstrap interval of `metric` over groups: groups are resampled with replacement and
 * all items of a drawn group come along (items of one family are not independent).
 */
export function bootstrapOverGroups(
  groups: readonly string[],
  metric: (indices: number[]) => number,
  reps: number,
  seed: number,
): Interval {
  const byGroup = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const list = byGroup.get(g);
    if (list) list.push(i);
    else byGroup.set(g, [i]);
  });
  const keys = [...byGroup.keys()];
  const rand = mulberry32(seed);
  const values: number[] = [];
  for (let r = 0; r < reps; r++) {
    const idx: number[] = [];
    for (let k = 0; k < keys.length; k++) idx.push(...byGroup.get(keys[Math.floor(rand() * keys.length)])!);
    const v = metric(idx);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const q = (p: number) =>
    values.length ? values[Math.min(values.length - 1, Math.floor(p * values.length))] : Number.NaN;
  const all = metric(groups.map((_, i) => i));
  return { mean: all, lo: q(0.025), hi: q(0.975) };
}

export function meanStd(xs: number[]): { mean: number; std: number } {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
