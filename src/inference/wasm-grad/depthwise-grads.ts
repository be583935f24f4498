import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as TF from "@tensorflow/tfjs-core";
import { type ConvGeometry, type ConvPad, convGeometry, transposedConvPads } from "./geometry.js";
import { input, type KernelArgs, withScope } from "./wasm-ops.js";

interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: ConvPad;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/*
 * Depthwise conv with channel multiplier q: out[m, c·q + j] = Σ_(kh,kw) x[window(m, kh, kw), c] · W[kh, kw, c, j].
 * There is no contraction across channels, so neither gradient is a matMul: both are one pass over the
 * output positions in JS, reading and writing the wasm heap in place (the wasm backend's broadcast Multiply
 * was slower than this loop on the shapes measured, see the convtrain bench).
 */

/** Calls `visit(m, xOffset, tap)` for every output position m and every window tap inside the input. */
function forEachTap(g: ConvGeometry, visit: (m: number, xOffset: number, tap: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop, padLeft } = g;
  let m = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, m++) {
        for (let kh = 0; kh < FH; kh++) {
          const h = oh * SH - padTop + kh * DH;
          if (h < 0 || h >= H) continue;
          for (let kw = 0; kw < FW; kw++) {
            const w = ow * SW - padLeft + kw * DW;
            if (w < 0 || w >= W) continue;
            visit(m, ((n * H + h) * W + w) * C, kh * FW + kw);
          }
        }
      }
    }
  }
}

function geometry(kernel: string, inShape: number[], filterShape: number[], a: DepthwiseAttrs): ConvGeometry {
  return convGeometry({
    kernel,
    inShape,
    filterShape,
    strides: a.strides,
    dilations: a.dilations,
    pad: a.pad,
    dimRoundingMode: a.dimRoundingMode,
    depthwise: true,
  });
}

/** dW[tap, c, j] = Σ_m x[window(m, tap), c] · dy[m, c·q + j], accumulated in float64. */
export function depthwiseBackpropFilter(args: KernelArgs): TF.TensorInfo {
  const x = input(args, "x", "DepthwiseConv2dNativeBackpropFilter");
  const dy = input(args, "dy", "DepthwiseConv2dNativeBackpropFilter");
  const a = args.attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
  const g = geometry("DepthwiseConv2dNativeBackpropFilter", x.shape, a.filterShape, a);
  const [, , C, Q] = a.filterShape;
  const CQ = C * Q;
  return withScope(args.backend as BackendWasm, (s) => {
    const dW = s.alloc(a.filterShape);
    const xs = s.view(x);
    const dys = s.view(dy);
    const acc = new Float64Array(dW.shape.reduce((p, d) => p * d, 1));
    forEachTap(g, (m, xOffset, tap) => {
      const dyBase = m * CQ;
      const wBase = tap * CQ;
      if (Q === 1) {
        for (let c = 0; c < C; c++) acc[wBase + c] += xs[xOffset + c] * dys[dyBase + c];
        return;
      }
      for (let c = 0; c < C; c++) {
        const xv = xs[xOffset + c];
        for (let j = 0; j < Q; j++) acc[wBase + c * Q + j] += xv * dys[dyBase + c * Q + j];
      }
    });
    s.view(dW).set(acc);
    return s.finish(dW, a.filterShape);
  });
}

/** dx[window(m, tap), c] += Σ_j dy[m, c·q + j] · W[tap, c, j]. */
export function depthwiseBackpropInput(args: KernelArgs): TF.TensorInfo {
  const dy = input(args, "dy", "DepthwiseConv2dNativeBackpropInput");
  const filter = input(args, "filter", "DepthwiseConv2dNativeBackpropInput");
  const a = args.attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
  const g = geometry("DepthwiseConv2dNativeBackpropInput", a.inputShape, filter.shape, a);
  const [, , C, Q] = filter.shape;
  const CQ = C * Q;
  const pads = Q === 1 ? transposedConvPads(g) : null;
  return withScope(args.backend as BackendWasm, (s) => {
    if (pads) {
      // stride 1, multiplier 1: the wasm (XNNPACK) depthwise conv of dy with the filter flipped in space
      const flipped = s.reverse(filter, [0, 1]);
      return s.finish(s.depthwise(dy, flipped, pads, [g.dilationHeight, g.dilationWidth]), a.inputShape);
    }
    const dx = s.alloc(a.inputShape);
    const dys = s.view(dy);
    const ws = s.view(filter);
    const acc = new Float64Array(dx.shape.reduce((p, d) => p * d, 1));
    forEachTap(g, (m, xOffset, tap) => {
      const dyBase = m * CQ;
      const wBase = tap * CQ;
      if (Q === 1) {
        for (let c = 0; c < C; c++) acc[xOffset + c] += dys[dyBase + c] * ws[wBase + c];
        return;
      }
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let j = 0; j < Q; j++) sum += dys[dyBase + c * Q + j] * ws[wBase + c * Q + j];
        acc[xOffset + c] += sum;
      }
    });
    s.view(dx).set(acc);
    return s.finish(dx, a.inputShape);
  });
}
