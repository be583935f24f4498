import type { ConvGeometry } from "./geometry.js";

/*
 * The patch matrix ("im2col") of an NHWC input: row m = (n, oh, ow), column k = (kh, kw, c), so that
 * conv2d(x, W) = patches · W[K, outChannels]. Only memory moves here; the multiply-adds run in the wasm
 * backend's matMul. Each run of `inChannels` floats is contiguous in both arrays.
 */

/** Fills `out` (patchRows × patchCols) with the patches of `x`; zero where the window overlaps the padding. */
export function im2col(x: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop, padLeft } = g;
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - padTop;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - padLeft;
        for (let kh = 0; kh < FH; kh++) {
          const h = h0 + kh * DH;
          if (h < 0 || h >= H) {
            out.fill(0, o, o + FW * C);
            o += FW * C;
            continue;
          }
          const xRow = xBatch + h * W * C;
          for (let kw = 0; kw < FW; kw++) {
            const w = w0 + kw * DW;
            if (w < 0 || w >= W) {
              out.fill(0, o, o + C);
            } else {
              const src = xRow + w * C;
              for (let c = 0; c < C; c++) out[o + c] = x[src + c];
            }
            o += C;
          }
        }
      }
    }
  }
}

/**
 * The transposed patch matrix (patchCols × patchRows): row k = (kh, kw, c), column m = (n, oh, ow). Built one
 * input row at a time, so the row being read stays in cache while its channels are spread out.
 */
export function im2colTransposed(x: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop, padLeft } = g;
  const M = g.batch * OH * OW;
  for (let kh = 0; kh < FH; kh++) {
    for (let kw = 0; kw < FW; kw++) {
      const kBase = (kh * FW + kw) * C;
      // the output columns whose window tap (kh, kw) falls inside the input width
      const owFirst = Math.min(OW, Math.max(0, Math.ceil((padLeft - kw * DW) / SW)));
      const owEnd = Math.max(owFirst, Math.min(OW, Math.floor((W - 1 + padLeft - kw * DW) / SW) + 1));
      const wFirst = owFirst * SW - padLeft + kw * DW;
      for (let n = 0; n < g.batch; n++) {
        for (let oh = 0; oh < OH; oh++) {
          const m0 = (n * OH + oh) * OW;
          const h = oh * SH - padTop + kh * DH;
          if (h < 0 || h >= H) {
            for (let c = 0; c < C; c++) out.fill(0, (kBase + c) * M + m0, (kBase + c) * M + m0 + OW);
            continue;
          }
          const xRow = ((n * H + h) * W + wFirst) * C;
          const step = SW * C;
          for (let c = 0; c < C; c++) {
            const dst = (kBase + c) * M + m0;
            out.fill(0, dst, dst + owFirst);
            let src = xRow + c;
            for (let ow = owFirst; ow < owEnd; ow++, src += step) out[dst + ow] = x[src];
            out.fill(0, dst + owEnd, dst + OW);
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: adds every patch entry of `cols` back onto its input position in `dx` (zeroed first). */
export function col2im(cols: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop, padLeft } = g;
  dx.fill(0);
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - padTop;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - padLeft;
        for (let kh = 0; kh < FH; kh++) {
          const h = h0 + kh * DH;
          if (h < 0 || h >= H) {
            o += FW * C;
            continue;
          }
          const xRow = xBatch + h * W * C;
          for (let kw = 0; kw < FW; kw++) {
            const w = w0 + kw * DW;
            if (w >= 0 && w < W) {
              const dst = xRow + w * C;
              for (let c = 0; c < C; c++) dx[dst + c] += cols[o + c];
            }
            o += C;
          }
        }
      }
    }
  }
}
