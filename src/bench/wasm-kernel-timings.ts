import type * as TF from "@tensorflow/tfjs-core";
import { tf } from "../inference/backend.js";

/**
 * Per-kernel timings on the wasm backend for the convtrain bench: the ops babymon's wasm-grad kernels
 * replace or wrap, on Base-CNN training shapes (batch 16, 48 × 32 × 32 → 64 channels). Run once before
 * registerWasmGradientKernels() (the wasm backend's own kernels; "missing" where it has none) and once
 * after. Each figure is the least CPU time (user + system) of `reps` runs on fresh inputs: on a shared
 * machine wall time mostly measures the other processes.
 */
interface KernelCase {
  name: string;
  /** the kernel the wasm backend lacks without babymon's (the op cannot run) */
  missingNatively?: boolean;
  run: (x: TF.Tensor4D) => TF.Tensor | TF.Tensor[];
}

const X: [number, number, number, number] = [16, 48, 32, 32];

const CASES: KernelCase[] = [
  {
    name: "Conv2DBackpropFilter 3×3 32→64",
    missingNatively: true,
    run: (x) =>
      tf.grad((w: TF.Tensor) => tf.sum(tf.conv2d(x, w as TF.Tensor4D, 1, "same")))(tf.ones([3, 3, 32, 64])),
  },
  {
    name: "Conv2DBackpropInput 3×3 64→32, stride 1",
    run: (x) => tf.conv2dTranspose(tf.tile(x, [1, 1, 1, 2]), tf.ones([3, 3, 32, 64]), X, 1, "same"),
  },
  {
    name: "Conv2DBackpropInput 3×3 64→32, stride 2",
    run: (x) =>
      tf.conv2dTranspose(
        tf.slice(tf.tile(x, [1, 1, 1, 2]), 0, [16, 24, 16, 64]),
        tf.ones([3, 3, 32, 64]),
        X,
        2,
        "same",
      ),
  },
  {
    name: "DepthwiseConv2dNativeBackpropFilter 3×3",
    missingNatively: true,
    run: (x) =>
      tf.grad((w: TF.Tensor) => tf.sum(tf.depthwiseConv2d(x, w as TF.Tensor4D, 1, "same")))(
        tf.ones([3, 3, 32, 1]),
      ),
  },
  {
    name: "DepthwiseConv2dNativeBackpropInput 3×3, stride 2",
    missingNatively: true,
    run: (x) =>
      tf.grad((xi: TF.Tensor) =>
        tf.sum(tf.depthwiseConv2d(xi as TF.Tensor4D, tf.ones([3, 3, 32, 1]), 2, "same")),
      )(x),
  },
  {
    name: "MaxPoolGrad 2×2 (+ its forward pool)",
    run: (x) => tf.grad((xi: TF.Tensor) => tf.sum(tf.maxPool(xi as TF.Tensor4D, 2, 2, "valid")))(tf.relu(x)),
  },
  {
    name: "Tile [1,1,1,32] → x's shape",
    run: (x) => tf.tile(tf.slice(x, 0, [1, 1, 1, 32]), [16, 48, 32, 1]),
  },
  { name: "Sum over [0,1,2]", run: (x) => tf.sum(x, [0, 1, 2]) },
  {
    name: "BatchMatMul transposeA (Dense 12288→256 dW)",
    run: (x) =>
      tf.matMul(
        tf.reshape(x, [64, 12288]),
        tf.reshape(tf.slice(x, 0, [1, 8, 32, 64]), [64, 256]),
        true,
        false,
      ),
  },
];

function fastest(run: (x: TF.Tensor4D) => TF.Tensor | TF.Tensor[], reps: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= reps; i++) {
    const x = tf.randomNormal(X, 0, 1, "float32", i) as TF.Tensor4D;
    const cpu0 = process.cpuUsage();
    tf.tidy(() => {
      for (const out of [run(x)].flat()) out.dataSync();
    });
    const cpu = process.cpuUsage(cpu0);
    if (i > 0) best = Math.min(best, (cpu.user + cpu.system) / 1000); // run 0 warms up
    x.dispose();
  }
  return best;
}

/** ms per case on the active (wasm) backend; NaN where the kernel is missing. */
export function timeWasmKernels(reps: number, registered: boolean): number[] {
  return CASES.map((c) => (!registered && c.missingNatively ? Number.NaN : fastest(c.run, reps)));
}

export function formatKernelTimings(native: number[], babymon: number[]): string {
  const cell = (ms: number) => (Number.isNaN(ms) ? "missing" : `${ms.toFixed(1)} CPU ms`);
  return CASES.map(
    (c, i) => `    ${c.name}: wasm's own ${cell(native[i])}, babymon's ${cell(babymon[i])}`,
  ).join("\n");
}
