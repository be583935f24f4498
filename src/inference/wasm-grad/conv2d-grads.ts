import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as TF from "@tensorflow/tfjs-core";
import { type ConvPad, convGeometry, patchCols, patchRows, transposedConvPads } from "./geometry.js";
import { col2im, im2colTransposed } from "./im2col.js";
import { input, type KernelArgs, withScope } from "./wasm-ops.js";

interface ConvAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * dW[(kh, kw, ci), co] = Σ_m patchesᵀ[(kh, kw, ci), m] · dy[m, co]: one wasm matMul with both operands
 * untransposed (its fast path) on the transposed patch matrix.
 */
export function conv2dBackpropFilter(args: KernelArgs): TF.TensorInfo {
  const x = input(args, "x", "Conv2DBackpropFilter");
  const dy = input(args, "dy", "Conv2DBackpropFilter");
  const a = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  const g = convGeometry({
    kernel: "Conv2DBackpropFilter",
    inShape: x.shape,
    filterShape: a.filterShape,
    strides: a.strides,
    pad: a.pad,
    dimRoundingMode: a.dimRoundingMode,
    dataFormat: a.dataFormat,
    depthwise: false,
  });
  const outChannels = a.filterShape[3];
  const rows = patchRows(g);
  const cols = patchCols(g);
  return withScope(args.backend as BackendWasm, (s) => {
    const patchesT = s.alloc([1, cols, rows]);
    im2colTransposed(s.view(x), g, s.view(patchesT));
    const dW = s.matMul(patchesT, s.reshape(dy, [1, rows, outChannels]));
    return s.finish(dW, a.filterShape);
  });
}

/**
 * dx for a stride-1 conv: the wasm (XNNPACK) conv2d of dy with the filter flipped in space and its channel
 * axes swapped. Strided: col2im(dy · Wᵀ), the patch-matrix gradient from the wasm matMul (W transposed
 * first, it is small), then every patch entry added back onto its input position.
 */
export function conv2dBackpropInput(args: KernelArgs): TF.TensorInfo {
  const dy = input(args, "dy", "Conv2DBackpropInput");
  const filter = input(args, "filter", "Conv2DBackpropInput");
  const attrs = args.attrs;
  const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  const g = convGeometry({
    kernel: "Conv2DBackpropInput",
    inShape: a.inputShape,
    filterShape: filter.shape,
    strides: a.strides,
    pad: a.pad,
    dimRoundingMode: a.dimRoundingMode,
    dataFormat: a.dataFormat,
    depthwise: false,
  });
  const outChannels = filter.shape[3];
  const rows = patchRows(g);
  const cols = patchCols(g);
  const pads = transposedConvPads(g);
  return withScope(args.backend as BackendWasm, (s) => {
    if (pads) {
      const flipped = s.transpose(s.reverse(filter, [0, 1]), [0, 1, 3, 2]);
      return s.finish(s.conv2d(dy, flipped, pads, [g.dilationHeight, g.dilationWidth]), a.inputShape);
    }
    const wT = s.transpose(s.reshape(filter, [cols, outChannels]), [1, 0]);
    const dCols = s.matMul(s.reshape(dy, [1, rows, outChannels]), s.reshape(wT, [1, outChannels, cols]));
    const dx = s.alloc(a.inputShape);
    col2im(s.view(dCols), g, s.view(dx));
    return s.finish(dx, a.inputShape);
  });
}
