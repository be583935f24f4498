/**
 * Platt scaling of cry logits (p = sigmoid(a·z + b), fitted by Newton's method on log loss) and the expected
 * calibration error, for the out-of-source check "the cry probability means what it says".
 */

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export interface Platt {
  scale: number;
  bias: number;
}

/**
 * Newton's method with step halving (a full Newton step from far away can overshoot and diverge when many logits
 * sit at the same clamped extreme), from a = 0 and b = the log-odds of the base rate.
 */
export function fitPlatt(logits: ArrayLike<number>, labels: ArrayLike<number>, iterations = 100): Platt {
  const n = logits.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i];
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, pos / Math.max(1, n)));
  let a = 0;
  let b = Math.log(rate / (1 - rate));
  const loss = (a: number, b: number) => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const t = a * logits[i] + b;
      // log(1 + e^t) − y·t, stable for large |t|
      l += (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t))) - labels[i] * t;
    }
    return l;
  };
  let current = loss(a, b);
  for (let it = 0; it < iterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const z = logits[i];
      const p = sigmoid(a * z + b);
      const d = p - labels[i];
      const w = p * (1 - p);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const gain = current - next;
    current = next;
    if (gain < 1e-9 * Math.max(1, current)) break;
  }
  return { scale: a, bias: b };
}

export function applyPlatt(logits: ArrayLike<number>, p: Platt): Float32Array {
  return Float32Array.from({ length: logits.length }, (_, i) => sigmoid(p.scale * logits[i] + p.bias));
}

/** Expected calibration error over `bins` equal-width probability bins. */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): number {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const pos = new Float64Array(bins);
  for (let i = 0; i < probs.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probs[i] * bins));
    count[b]++;
    conf[b] += probs[i];
    pos[b] += labels[i];
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += Math.abs(conf[b] - pos[b]) / probs.length;
  return ece;
}

/** Which windows of a fold count for calibration, and their cry labels (1 crying, 0 not). */
export interface CalibrationLabels {
  keep: number[];
  labels: number[];
}

/**
 * Platt scaling cross-fitted over folds: fold k's probabilities use a scaling fitted on the other folds' logits,
 * so no window is calibrated on itself; with the ECE of all folds' probabilities pooled.
 */
export function crossFittedPlatt(
  logits: readonly Float32Array[],
  cal: readonly CalibrationLabels[],
): { probs: Float32Array[]; ece: number } {
  const probs = logits.map((l, k) => {
    const z: number[] = [];
    const y: number[] = [];
    logits.forEach((other, j) => {
      if (j === k) return;
      for (const [m, i] of cal[j].keep.entries()) {
        z.push(other[i]);
        y.push(cal[j].labels[m]);
      }
    });
    return applyPlatt(l, fitPlatt(z, y));
  });
  const p: number[] = [];
  const y: number[] = [];
  probs.forEach((pk, k) => {
    for (const [m, i] of cal[k].keep.entries()) {
      p.push(pk[i]);
      y.push(cal[k].labels[m]);
    }
  });
  return { probs, ece: expectedCalibrationError(p, y) };
}
