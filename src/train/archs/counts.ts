import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * Trainable parameters — the papers' (and torchvision's) convention; batch norm's moving mean and variance
 * are state, not parameters, and are left out (model.countParams() would count them).
 */
export function countParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce(
    (n, w) => n + w.shape.reduce((a: number, b) => a * (b as number), 1),
    0,
  );
}

const dims = (shape: tfl.Shape): number[] => shape.slice(1).map((d) => d as number);
const product = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);

function singleShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
}

/** Kernel taps of a conv-like layer's config (a number or [kh, kw]). */
function taps(kernelSize: unknown): number {
  if (typeof kernelSize === "number") return kernelSize * kernelSize;
  if (Array.isArray(kernelSize)) return product(kernelSize as number[]);
  throw new Error(`Expected a kernel size (number or [kh, kw]), got ${JSON.stringify(kernelSize)}`);
}

/**
 * Multiply-adds of one patch through the model, from the layer shapes: convolutions (out positions × taps ×
 * in channels × out channels), depthwise convolutions (out positions × taps × out channels), and dense layers
 * (units × inputs, per position when applied to a map). Batch norm, activations, pooling, the SE scaling and
 * residual additions are left out, as in the papers' MAdds.
 */
export function multiplyAdds(model: tfl.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const name = layer.getClassName();
    if (name === "Conv2D" || name === "DepthwiseConv2D" || name === "BabymonDepthwiseTaps") {
      const out = dims(singleShape(layer.outputShape));
      const inChannels = dims((layer.input as tfl.SymbolicTensor).shape).at(-1)!;
      const perPosition = name === "Conv2D" ? inChannels * out[2] : out[2];
      total += product(out.slice(0, 2)) * taps(config.kernelSize) * perPosition;
    } else if (name === "Dense") {
      const input = dims(singleShape((layer.input as tfl.SymbolicTensor).shape));
      total += product(input.slice(0, -1)) * input.at(-1)! * (config.units as number);
    }
  }
  return total;
}
