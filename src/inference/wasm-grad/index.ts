import { tf } from "../backend.js";
import { conv2dBackpropFilter, conv2dBackpropInput } from "./conv2d-grads.js";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise-grads.js";
import { repeatingTile, transposingMatMul, type WasmKernelFunc } from "./fast-paths.js";
import { maxPoolGrad } from "./pool-grads.js";
import { runReduce } from "./reduce.js";

/**
 * Gradient kernels for the TF.js wasm backend, which ships no Conv2DBackpropFilter and no depthwise
 * gradients (training a conv net on wasm otherwise fails), whose own Conv2DBackpropInput is a plain loop
 * (~3× babymon's on stride 1, convtrain bench) and whose MaxPoolGrad disagrees with the cpu backend
 * (pool-grads.ts). The conv ones are im2col / col2im (memory moves in JS) around the wasm backend's SIMD
 * matMul, or its XNNPACK conv for stride-1 input gradients; the depthwise filter gradient and the strided
 * depthwise input gradient have no contraction to hand to a matMul and are single passes in JS over the
 * wasm heap. AvgPoolGrad is wasm's own (not replaced; the archs use global average pooling via Mean).
 */
const GRADIENT_KERNELS = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv2DBackpropInput: conv2dBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  MaxPoolGrad: maxPoolGrad,
} as const;

/** Faster paths for wasm kernels every training step hits (see fast-paths.ts); other calls go to the originals. */
const WRAPPED_KERNELS = {
  BatchMatMul: (original: WasmKernelFunc) => transposingMatMul(original, wasmKernel("Transpose")),
  Tile: repeatingTile,
  Sum: (original: WasmKernelFunc) => runReduce(original, "Sum"),
  Mean: (original: WasmKernelFunc) => runReduce(original, "Mean"),
} as const;

/** The kernel names registerWasmGradientKernels() registers (or wraps) for the "wasm" backend. */
export const WASM_GRADIENT_KERNELS = [
  ...Object.keys(GRADIENT_KERNELS),
  ...Object.keys(WRAPPED_KERNELS),
] as ReadonlyArray<keyof typeof GRADIENT_KERNELS | keyof typeof WRAPPED_KERNELS>;

function wasmKernel(name: string): WasmKernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`registerWasmGradientKernels: the wasm backend has no "${name}" kernel`);
  return config.kernelFunc as unknown as WasmKernelFunc;
}

function register(kernelName: string, kernelFunc: WasmKernelFunc): void {
  const existing = tf.getKernel(kernelName, "wasm");
  if (existing) tf.unregisterKernel(kernelName, "wasm");
  // keep the original's setupFunc: the backend may be initialised again (tf.removeBackend / re-register)
  tf.registerKernel({
    kernelName,
    backendName: "wasm",
    setupFunc: existing?.setupFunc,
    disposeFunc: existing?.disposeFunc,
    kernelFunc: kernelFunc as unknown as TFKernelFunc,
  });
}

let registered = false;

/**
 * Registers the kernels for backendName "wasm" (idempotent). Call it once @tensorflow/tfjs-backend-wasm is
 * loaded (e.g. after selectBackend("wasm")); it replaces the wasm backend's own Conv2DBackpropInput and
 * MaxPoolGrad and wraps its BatchMatMul, Tile, Sum and Mean.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (!tf.getKernel("BatchMatMul", "wasm")) {
    throw new Error(
      'registerWasmGradientKernels: the wasm backend is not loaded (no wasm BatchMatMul kernel); call selectBackend("wasm") first',
    );
  }
  for (const [kernelName, kernelFunc] of Object.entries(GRADIENT_KERNELS)) register(kernelName, kernelFunc);
  for (const [kernelName, wrap] of Object.entries(WRAPPED_KERNELS))
    register(kernelName, wrap(wasmKernel(kernelName)));
  registered = true;
}

type TFKernelFunc = Parameters<typeof tf.registerKernel>[0]["kernelFunc"];
