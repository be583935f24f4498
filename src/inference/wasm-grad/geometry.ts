import type * as TF from "@tensorflow/tfjs-core";
import { tf } from "../backend.js";

/** What the conv gradient kernels need of a conv's geometry (NHWC, batch × height × width × channels). */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

export type ConvPad = "valid" | "same" | number | TF.backend_util.ExplicitPadding;

interface GeometryRequest {
  kernel: string;
  inShape: number[];
  filterShape: number[];
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: ConvPad;
  dimRoundingMode?: "floor" | "round" | "ceil";
  dataFormat?: "NHWC" | "NCHW";
  depthwise: boolean;
}

/** TF.js's own conv arithmetic (output size, "same" padding split), so the gradients match its forward pass. */
export function convGeometry(req: GeometryRequest): ConvGeometry {
  if (req.dataFormat !== undefined && req.dataFormat !== "NHWC") {
    throw new Error(
      `${req.kernel} on wasm: expected dataFormat "NHWC", got ${JSON.stringify(req.dataFormat)}`,
    );
  }
  if (req.inShape.length !== 4 || req.filterShape.length !== 4) {
    throw new Error(
      `${req.kernel} on wasm: expected a 4-D input and filter, got shapes [${req.inShape}] and [${req.filterShape}]`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    req.inShape as [number, number, number, number],
    req.filterShape as [number, number, number, number],
    req.strides,
    req.dilations ?? 1,
    req.pad,
    req.dimRoundingMode,
    req.depthwise,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: info.padInfo.bottom,
    padRight: info.padInfo.right,
  };
}

/** Rows of the patch matrix: one per output position (batch × outHeight × outWidth). */
export function patchRows(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth;
}

/** Columns of the patch matrix: filterHeight × filterWidth × inChannels, in the filter's own order. */
export function patchCols(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.inChannels;
}

/**
 * For a stride-1 conv, the input gradient is a stride-1 correlation of dy with the spatially flipped filter;
 * these are its [before, after] pads along height and width, or null when the conv is strided or a pad
 * would be negative (explicit pads wider than the dilated filter), where the patch-matrix path is used.
 */
export function transposedConvPads(g: ConvGeometry): [number, number][] | null {
  if (g.strideHeight !== 1 || g.strideWidth !== 1) return null;
  const spanH = (g.filterHeight - 1) * g.dilationHeight;
  const spanW = (g.filterWidth - 1) * g.dilationWidth;
  const pads: [number, number][] = [
    [spanH - g.padTop, spanH - g.padBottom],
    [spanW - g.padLeft, spanW - g.padRight],
  ];
  return pads.flat().every((p) => p >= 0) ? pads : null;
}
