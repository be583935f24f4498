import { REASONS } from "../events.js";
import { type Combination, type HeadLogits, yamnetEvidence } from "../inference/heads.js";
import { argmaxRow, type ClipInfo, clipMeans, type PatchPredictions } from "./evaluate.js";
import { bestF1Threshold, rocAuc, sigmoid } from "./metrics.js";

/**
 * How the two heads' logits become probabilities, fitted on validation predictions: the FC/MobileNetV3 weights,
 * Platt scaling of the cry logit, the reason temperature and biases, and the cry and "unsure" thresholds.
 */

const K = REASONS.length;

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
