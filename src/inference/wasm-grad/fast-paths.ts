import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as TF from "@tensorflow/tfjs-core";
import { input, type KernelArgs } from "./wasm-ops.js";

/*
 * Wrappers around two wasm kernels that training hits on every step and whose general path is a slow loop:
 * a transposed BatchMatMul (every Dense layer's gradient; ~6× slower than transposing first with the wasm
 * Transpose kernel and taking the untransposed fast path) and Tile of a broadcast vector (batch-norm's input
 * gradient tiles its per-channel scale over the whole activation). Anything else goes to the original kernel.
 */

export type WasmKernelFunc = (args: KernelArgs) => TF.TensorInfo | TF.TensorInfo[];

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

export function transposingMatMul(original: WasmKernelFunc, transpose: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
    if (!attrs?.transposeA && !attrs?.transposeB) return original(args);
    const backend = args.backend as BackendWasm;
    const temps: TF.TensorInfo[] = [];
    const operand = (name: string, flip: boolean | undefined): TF.TensorInfo => {
      const t = input(args, name, "BatchMatMul");
      if (!flip) return t;
      const out = transpose({ inputs: { x: t }, backend, attrs: { perm: swapLastTwo(t.shape.length) } });
      if (Array.isArray(out)) throw new Error("wasm Transpose returned several tensors, expected one");
      temps.push(out);
      return out;
    };
    try {
      const a = operand("a", attrs.transposeA);
      const b = operand("b", attrs.transposeB);
      return original({
        inputs: { a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * Tile where every axis with reps > 1 precedes every axis of size > 1: the output is the input's data
 * repeated, written by doubling copies.
 */
export function repeatingTile(original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const x = input(args, "x", "Tile");
    const reps = (args.attrs as { reps: number[] }).reps;
    const firstData = x.shape.findIndex((d) => d > 1);
    const lastRep = reps.reduce((last, r, i) => (r > 1 ? i : last), -1);
    const repeatable =
      (x.dtype === "float32" || x.dtype === "int32") && (firstData === -1 || lastRep < firstData);
    if (!repeatable) return original(args);
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(
      x.shape.map((d, i) => d * reps[i]),
      x.dtype,
    );
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    dst.set(src);
    for (let filled = src.length; filled < dst.length; filled *= 2) {
      dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
    }
    return out;
  };
}
