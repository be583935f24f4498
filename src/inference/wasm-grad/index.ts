import { tf } from "../backend.js";
import { conv2dBackpropFilter, conv2dBackpropInput } from "./conv2d-grads.js";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise-grads.js";

/**
 * Gradient kernels for the TF.js wasm backend, which ships no Conv2DBackpropFilter and no depthwise
 * gradients (training a conv net on wasm otherwise fails), and whose own Conv2DBackpropInput is a plain
 * loop ~10× slower than its forward conv. Each is im2col / col2im (memory moves in JS) around the wasm
 * backend's SIMD matMul. MaxPoolGrad and AvgPoolGrad are the wasm backend's own.
 */
const KERNELS = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv2DBackpropInput: conv2dBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
} as const;

/** The kernel names registerWasmGradientKernels() registers for the "wasm" backend. */
export const WASM_GRADIENT_KERNELS = Object.keys(KERNELS) as ReadonlyArray<keyof typeof KERNELS>;

let registered = false;

/**
 * Registers the kernels for backendName "wasm" (idempotent). Call it once @tensorflow/tfjs-backend-wasm is
 * loaded (e.g. after selectBackend("wasm")); it replaces the wasm backend's own Conv2DBackpropInput.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (!tf.getKernel("BatchMatMul", "wasm")) {
    throw new Error(
      'registerWasmGradientKernels: the wasm backend is not loaded (no wasm BatchMatMul kernel); call selectBackend("wasm") first',
    );
  }
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as TFKernelFunc });
  }
  registered = true;
}

type TFKernelFunc = Parameters<typeof tf.registerKernel>[0]["kernelFunc"];
