import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as TF from "@tensorflow/tfjs-core";
import type { WasmKernelFunc } from "./fast-paths.js";
import { input } from "./wasm-ops.js";

/*
 * Binary ops where one operand is the other's shape with a run of adjacent axes set to 1:
 * [N, H, W, C] with [C], [1, 1, 1, C] (batch-norm, biases) or [N, 1, 1, C] (squeeze-excitation). The wasm
 * backend runs broadcasts through a generic per-element index loop; viewing both as [outer, mid, inner]
 * against [outer, 1, inner] makes it a plain loop, several times faster. Same-shape and other cases go to
 * the original kernel (same-shape ones are XNNPACK's already).
 */

export type BinaryOp = "Multiply" | "Add" | "Sub" | "RealDiv";

const OPS: Record<BinaryOp, (a: number, b: number) => number> = {
  Multiply: (a, b) => a * b,
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  RealDiv: (a, b) => a / b,
};

interface Split {
  outer: number;
  mid: number;
  inner: number;
}

/** How `small` broadcasts onto `big` as [outer, 1, inner] against [outer, mid, inner], or null. */
function split(big: readonly number[], small: readonly number[]): Split | null {
  if (small.length > big.length) return null;
  const s = [...Array(big.length - small.length).fill(1), ...small];
  const ones = big.map((d, i) => s[i] !== d);
  if (ones.some((differs, i) => differs && s[i] !== 1)) return null;
  const first = ones.indexOf(true);
  const last = ones.lastIndexOf(true);
  if (first === -1 || ones.slice(first, last + 1).some((differs, i) => !differs && big[first + i] !== 1)) {
    return null;
  }
  const size = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
  return {
    outer: size(big.slice(0, first)),
    mid: size(big.slice(first, last + 1)),
    inner: size(big.slice(last + 1)),
  };
}

export function broadcastBinary(original: WasmKernelFunc, kind: BinaryOp): WasmKernelFunc {
  const op = OPS[kind];
  return (args) => {
    const a = input(args, "a", kind);
    const b = input(args, "b", kind);
    if (a.dtype !== "float32" || b.dtype !== "float32") return original(args);
    const aBig =
      a.shape.length >= b.shape.length &&
      a.shape.reduce((p, d) => p * d, 1) >= b.shape.reduce((p, d) => p * d, 1);
    const [big, small] = aBig ? [a, b] : [b, a];
    const s = split(big.shape, small.shape);
    if (!s) return original(args);
    const backend = args.backend as BackendWasm;
    const out: TF.TensorInfo = backend.makeOutput([...big.shape], "float32");
    const bs = backend.typedArrayFromHeap(big);
    const ss = backend.typedArrayFromHeap(small);
    const dst = backend.typedArrayFromHeap(out);
    const { outer, mid, inner } = s;
    for (let o = 0; o < outer; o++) {
      const sBase = o * inner;
      for (let m = 0, base = o * mid * inner; m < mid; m++, base += inner) {
        if (aBig) for (let i = 0; i < inner; i++) dst[base + i] = op(bs[base + i], ss[sBase + i]);
        else for (let i = 0; i < inner; i++) dst[base + i] = op(ss[sBase + i], bs[base + i]);
      }
    }
    return out;
  };
}
