/**
 * Platt scaling of cry logits (p = sigmoid(a·z + b), fitted by Newton's method on log loss) and the expected
 * calibration error, for the out-of-source check "the cry probability means what it says".
 */

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export interface Platt {
  scale: number;
  bias: number;
}

export function fitPlatt(logits: ArrayLike<number>, labels: ArrayLike<number>, iterations = 50): Platt {
  let a = 1;
  let b = 0;
  const n = logits.length;
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
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
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
