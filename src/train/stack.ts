import { YAMNET_CLASS_COUNT, yamnetEvidence } from "../inference/heads.js";
import { fitPlatt, logLoss } from "./combination.js";
import { rocAuc, sigmoid } from "./metrics.js";

const D = YAMNET_CLASS_COUNT;

/** Cry probability σ(scale·z + bias + Σ_k weights_k · yamnetLogit_k), weights in raw (unstandardised) logit units. */
export interface YamnetStack {
  scale: number;
  bias: number;
  weights: number[];
}

/**
 * Fits the stacked logistic regression on (head cry logit z, YAMNet's 521 class logits x) by full-batch Adam on
 * the mean log-loss + λ/2 · ‖w‖² (w on standardised logits; the head's own scale and the bias are not
 * penalised). Unweighted, so the probabilities stay calibrated to the patches' own frequencies, like Platt.
 */
export function fitYamnetStack(
  z: ArrayLike<number>,
  x: Float32Array,
  y: ArrayLike<number>,
  lambda: number,
  iterations = 300,
): YamnetStack {
  const n = z.length;
  if (x.length !== n * D) throw new RangeError(`Expected ${n} × ${D} YAMNet logits, got ${x.length}`);
  const mean = new Float64Array(D);
  const std = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let k = 0; k < D; k++) mean[k] += x[i * D + k] / n;
  for (let i = 0; i < n; i++) for (let k = 0; k < D; k++) std[k] += (x[i * D + k] - mean[k]) ** 2 / n;
  for (let k = 0; k < D; k++) std[k] = Math.sqrt(std[k]) || 1;
  const xs = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < D; k++) xs[i * D + k] = (x[i * D + k] - mean[k]) / std[k];
  // parameters: [a, b, w_0 … w_520] on standardised logits
  const p = new Float64Array(D + 2);
  p[0] = 1;
  const m = new Float64Array(D + 2);
  const v = new Float64Array(D + 2);
  const g = new Float64Array(D + 2);
  for (let t = 1; t <= iterations; t++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let s = p[0] * z[i] + p[1];
      const base = i * D;
      for (let k = 0; k < D; k++) s += p[k + 2] * xs[base + k];
      const d = sigmoid(s) - y[i];
      g[0] += d * z[i];
      g[1] += d;
      for (let k = 0; k < D; k++) g[k + 2] += d * xs[base + k];
    }
    for (let j = 0; j < D + 2; j++) {
      const gj = g[j] / n + (j >= 2 ? lambda * p[j] : 0);
      m[j] = 0.9 * m[j] + 0.1 * gj;
      v[j] = 0.999 * v[j] + 0.001 * gj * gj;
      p[j] -= (0.05 * (m[j] / (1 - 0.9 ** t))) / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  const weights = Array.from({ length: D }, (_, k) => p[k + 2] / std[k]);
  let bias = p[1];
  for (let k = 0; k < D; k++) bias -= (p[k + 2] * mean[k]) / std[k];
  return { scale: p[0], bias, weights };
}

/** The stack's cry probability of patch i: the daemon's own evidence term (combineLogits) on top of Platt. */
export function stackProbability(s: YamnetStack, z: number, x: Float32Array, i: number): number {
  return sigmoid(s.scale * z + s.bias + yamnetEvidence(s.weights, x, i));
}

export interface StackFigures {
  /** mean log-loss of the cry probability on out-of-fold patches */
  logLoss: number;
  auc: number;
  /** share of non-cry patches above the threshold that keeps 90 % of the cry patches */
  fprAtTpr90: number;
}

function figures(prob: Float64Array, y: ArrayLike<number>): StackFigures {
  const pos = [...prob].filter((_, i) => y[i]).sort((a, b) => b - a);
  const threshold = pos[Math.max(0, Math.ceil(0.9 * pos.length) - 1)] ?? 1;
  let fp = 0;
  let neg = 0;
  for (let i = 0; i < prob.length; i++) {
    if (y[i]) continue;
    neg++;
    if (prob[i] >= threshold) fp++;
  }
  return {
    logLoss: logLoss(prob, y),
    auc: rocAuc(prob, y),
    fprAtTpr90: fp / Math.max(1, neg),
  };
}

export interface StackChoice {
  /** the stack fitted on every out-of-fold patch with the chosen λ, or null when it did not beat Platt alone */
  stack: YamnetStack | null;
  lambda: number | null;
  /** second-level cross-validation over the same folds: Platt alone, and the stack per λ */
  platt: StackFigures;
  byLambda: Array<{ lambda: number } & StackFigures>;
}

/**
 * Chooses whether (and with which λ) YAMNet's evidence joins the cry logit, by a second-level grouped
 * cross-validation over the out-of-fold predictions (`fold` gives each patch's CV fold): for each fold, fitted
 * on the others and scored on it. The stack is used only if its best λ (by log-loss) beats Platt alone on
 * log-loss and does not raise the false-positive rate at 90 % recall.
 */
export function chooseYamnetStack(
  z: ArrayLike<number>,
  x: Float32Array,
  y: Uint8Array,
  fold: Int32Array,
  lambdas: readonly number[] = [0.003, 0.03, 0.3],
): StackChoice {
  const folds = [...new Set(fold)].sort((a, b) => a - b);
  const rowsOf = (keep: (f: number) => boolean) => [...fold.keys()].filter((i) => keep(fold[i]));
  const subset = (rows: number[]) => {
    const xs = new Float32Array(rows.length * D);
    rows.forEach((r, j) => {
      xs.set(x.subarray(r * D, (r + 1) * D), j * D);
    });
    return { z: rows.map((r) => z[r]), x: xs, y: rows.map((r) => y[r]) };
  };
  const crossValidated = (fit: (s: ReturnType<typeof subset>) => YamnetStack): StackFigures => {
    const prob = new Float64Array(z.length);
    for (const f of folds) {
      const model = fit(subset(rowsOf((g) => g !== f)));
      for (const r of rowsOf((g) => g === f)) prob[r] = stackProbability(model, z[r], x, r);
    }
    return figures(prob, y);
  };
  // Platt scaling alone (the pipeline's own fitPlatt): the YAMNet term left out
  const platt = crossValidated((s) => ({ ...fitPlatt(s.z, s.y), weights: new Array(D).fill(0) }));
  const byLambda = lambdas.map((lambda) => ({
    lambda,
    ...crossValidated((s) => fitYamnetStack(s.z, s.x, s.y, lambda)),
  }));
  const best = byLambda.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
  const wins = best.logLoss < platt.logLoss && best.fprAtTpr90 <= platt.fprAtTpr90;
  return {
    stack: wins ? fitYamnetStack(z, x, y, best.lambda) : null,
    lambda: wins ? best.lambda : null,
    platt,
    byLambda,
  };
}
