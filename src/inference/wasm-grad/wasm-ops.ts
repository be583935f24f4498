import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as TF from "@tensorflow/tfjs-core";
import { tf } from "../backend.js";

/*
 * The wasm backend's own kernels, called directly from inside another kernel (as its built-in kernels call
 * each other), so no op is recorded on the gradient tape and no engine bookkeeping runs per step.
 * Every intermediate is created through a Scope and freed when the kernel returns.
 */

type KernelFunc = TF.KernelFunc;

function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`wasm gradient kernels: the wasm backend has no "${name}" kernel to build on`);
  return config.kernelFunc;
}

function single(out: TF.TensorInfo | TF.TensorInfo[], name: string): TF.TensorInfo {
  if (Array.isArray(out))
    throw new Error(`wasm kernel "${name}" returned ${out.length} tensors, expected one`);
  return out;
}

/** Intermediates of one kernel call; `keep` marks the one returned to the engine. */
export class Scope {
  private readonly temps: TF.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  private run(name: string, inputs: TF.NamedTensorInfoMap, attrs: TF.NamedAttrMap): TF.TensorInfo {
    const out = single(wasmKernel(name)({ inputs, attrs, backend: this.backend }), name);
    this.temps.push(out);
    return out;
  }

  /** A new float32 tensor on the wasm heap (contents undefined until written). */
  alloc(shape: number[]): TF.TensorInfo {
    const out = this.backend.makeOutput(shape, "float32");
    this.temps.push(out);
    return out;
  }

  /**
   * A Float32Array view of a tensor's wasm memory. Views go stale when the heap grows, so take them after
   * the last alloc/kernel call that precedes their use.
   */
  view(t: TF.TensorInfo): Float32Array {
    if (t.dtype !== "float32") throw new Error(`wasm gradient kernels: expected float32, got ${t.dtype}`);
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  reshape(x: TF.TensorInfo, shape: number[]): TF.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  transpose(x: TF.TensorInfo, perm: number[]): TF.TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  /** a · b over the last two axes (rank 3, batch broadcast); the wasm fast path is the untransposed one. */
  matMul(a: TF.TensorInfo, b: TF.TensorInfo): TF.TensorInfo {
    return this.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
  }

  mul(a: TF.TensorInfo, b: TF.TensorInfo): TF.TensorInfo {
    return this.run("Multiply", { a, b }, {});
  }

  sum(x: TF.TensorInfo, axis: number[]): TF.TensorInfo {
    return this.run("Sum", { x }, { axis, keepDims: false });
  }

  reverse(x: TF.TensorInfo, dims: number[]): TF.TensorInfo {
    return this.run("Reverse", { x }, { dims });
  }

  /** The wasm backend's (XNNPACK) conv2d, stride 1, with explicit [before, after] pads for height and width. */
  conv2d(
    x: TF.TensorInfo,
    filter: TF.TensorInfo,
    pads: [number, number][],
    dilations: [number, number],
  ): TF.TensorInfo {
    const pad = [[0, 0], pads[0], pads[1], [0, 0]];
    return this.run("Conv2D", { x, filter }, { strides: 1, pad, dilations, dataFormat: "NHWC" });
  }

  /** The wasm backend's (XNNPACK) depthwise conv2d, stride 1, explicit pads as for conv2d. */
  depthwise(
    x: TF.TensorInfo,
    filter: TF.TensorInfo,
    pads: [number, number][],
    dilations: [number, number],
  ): TF.TensorInfo {
    const pad = [[0, 0], pads[0], pads[1], [0, 0]];
    return this.run(
      "DepthwiseConv2dNative",
      { x, filter },
      { strides: 1, pad, dilations, dataFormat: "NHWC" },
    );
  }

  /** Frees every intermediate except `result`, which is returned with the given shape. */
  finish(result: TF.TensorInfo, shape: number[]): TF.TensorInfo {
    const out = this.reshape(result, shape);
    for (const t of this.temps) if (t !== out) this.backend.disposeData(t.dataId);
    return out;
  }

  /** Frees everything (on error). */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
  }
}

/** Runs `body` with a fresh Scope, freeing its intermediates if it throws. */
export function withScope(backend: BackendWasm, body: (s: Scope) => TF.TensorInfo): TF.TensorInfo {
  const scope = new Scope(backend);
  try {
    return body(scope);
  } catch (err) {
    scope.dispose();
    throw err;
  }
}

/** What the engine passes a kernel function. */
export interface KernelArgs {
  inputs: TF.NamedTensorInfoMap;
  backend: unknown;
  attrs?: TF.NamedAttrMap;
}

/** The named input of a kernel call, or an error naming the kernel and the missing input. */
export function input(args: KernelArgs, name: string, kernel: string): TF.TensorInfo {
  const t = args.inputs[name];
  if (!t) throw new Error(`${kernel} on wasm: missing input "${name}"`);
  return t;
}
