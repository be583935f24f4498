/** Constant tensor data of a TFLite file (little-endian) turned into typed arrays in TF.js layout. */

export function readFloat32(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.byteLength / 4);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

export function readFloat16(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.byteLength / 2);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < out.length; i++) {
    const h = view.getUint16(2 * i, true);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? Number.NaN
            : sign * Number.POSITIVE_INFINITY
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/** Row-major transpose: target axis k takes source axis perm[k]. */
export function transpose<T extends Int8Array | Float32Array>(
  src: T,
  shape: number[],
  perm: number[],
  Ctor: { new (n: number): T },
): T {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const srcStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    srcStrides[i] = s;
    s *= shape[i]!;
  }
  const stepForTarget = perm.map((p) => srcStrides[p]!);
  const out = new Ctor(src.length);
  const idx = new Array<number>(rank).fill(0);
  let srcPos = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = src[srcPos]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      srcPos += stepForTarget[k]!;
      if (idx[k]! < outShape[k]!) break;
      srcPos -= stepForTarget[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}
