/**
 * YAMNet embeddings kept for learning: int8 with one scale per window (1024 bytes + 4), symmetric, zero point 0.
 * The pooled embedding is non-negative and smooth, so the round-trip error (≤ scale/2 per value, scale =
 * max|x|/127) changes a cosine similarity by well under 0.01.
 */
export interface QuantizedEmbedding {
  data: Int8Array;
  scale: number;
}

export function quantizeEmbedding(x: Float32Array): QuantizedEmbedding {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  const scale = max > 0 ? max / 127 : 1;
  const data = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) data[i] = Math.max(-127, Math.min(127, Math.round(x[i] / scale)));
  return { data, scale };
}

export function dequantizeEmbedding(q: QuantizedEmbedding): Float32Array {
  const out = new Float32Array(q.data.length);
  for (let i = 0; i < q.data.length; i++) out[i] = q.data[i] * q.scale;
  return out;
}

/** The vector scaled to unit length (a zero vector stays zero), for cosine similarity as a dot product. */
export function unitVector(x: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  const n = Math.sqrt(s);
  const out = new Float32Array(x.length);
  if (n > 0) for (let i = 0; i < x.length; i++) out[i] = x[i] / n;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
