import assert from "node:assert/strict";
import { before, test } from "node:test";
import type * as TF from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { selectBackend, tf } from "../../src/inference/backend.js";
import { registerWasmGradientKernels, WASM_GRADIENT_KERNELS } from "../../src/inference/wasm-grad/index.js";
import { mulberry32 } from "../../src/train/random.js";
import "@tensorflow/tfjs-layers"; // registers TF.js's gradient functions

/*
 * Gradients on wasm (with babymon's kernels) against the cpu backend's, on random shapes. Tolerance: max
 * |wasm − cpu| ≤ 1e-4 · max(1, max |cpu|) — absolute for gradients of magnitude ≤ 1, relative to the largest
 * entry above that (both sum the same float32 products in a different order).
 */
const TOLERANCE = 1e-4;
const RUNS = 40;

interface Case {
  batch: number;
  height: number;
  width: number;
  channels: number;
  /** output channels (conv) or channel multiplier (depthwise) */
  outChannels: number;
  kernel: 1 | 3 | 5;
  stride: 1 | 2;
  pad: "same" | "valid" | 1;
  fused: boolean;
  seed: number;
}

const caseArb = (maxOut: number): fc.Arbitrary<Case> =>
  fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      height: fc.integer({ min: 1, max: 12 }),
      width: fc.integer({ min: 1, max: 12 }),
      channels: fc.integer({ min: 1, max: 6 }),
      outChannels: fc.integer({ min: 1, max: maxOut }),
      kernel: fc.constantFrom(1 as const, 3 as const, 5 as const),
      stride: fc.constantFrom(1 as const, 2 as const),
      pad: fc.constantFrom("same" as const, "valid" as const, 1 as const),
      fused: fc.boolean(),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    })
    // "valid" needs the window to fit; so does an explicit pad of 1
    .map((c) => {
      const min = c.pad === "valid" ? c.kernel : c.pad === 1 ? Math.max(1, c.kernel - 2) : 1;
      return { ...c, height: Math.max(c.height, min), width: Math.max(c.width, min) };
    });

function randomArray(n: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

type Conv = (x: TF.Tensor4D, w: TF.Tensor4D, c: Case) => TF.Tensor4D;

const conv: Conv = (x, w, c) =>
  c.fused
    ? tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, activation: "linear" })
    : tf.conv2d(x, w, c.stride, c.pad);
const depthwise: Conv = (x, w, c) =>
  c.fused
    ? tf.fused.depthwiseConv2d({ x, filter: w, strides: c.stride, pad: c.pad, activation: "linear" })
    : tf.depthwiseConv2d(x, w, c.stride, c.pad);

/** d/dx and d/dW of Σ conv(x, W) ⊙ r on the active backend, for fixed random x, W, r. */
function gradients(op: Conv, c: Case): Float32Array[] {
  const rand = mulberry32(c.seed);
  const xShape: [number, number, number, number] = [c.batch, c.height, c.width, c.channels];
  const wShape: [number, number, number, number] = [c.kernel, c.kernel, c.channels, c.outChannels];
  const x = randomArray(
    xShape.reduce((a, b) => a * b),
    rand,
  );
  const w = randomArray(
    wShape.reduce((a, b) => a * b),
    rand,
  );
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape);
    const wt = tf.tensor4d(w, wShape);
    const yShape = op(xt, wt, c).shape;
    const r = tf.tensor(
      randomArray(
        yShape.reduce((a, b) => a * b),
        rand,
      ),
      yShape,
    );
    const grad = tf.grads((xi: TF.Tensor, wi: TF.Tensor) =>
      tf.sum(tf.mul(op(xi as TF.Tensor4D, wi as TF.Tensor4D, c), r)),
    );
    return grad([xt, wt]).map((g) => g.dataSync() as Float32Array);
  });
}

function scaledDiff(ref: Float32Array, got: Float32Array): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ref[i] - got[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}

async function compare(op: Conv, c: Case): Promise<void> {
  await selectBackend("cpu");
  const ref = gradients(op, c);
  await selectBackend("wasm");
  const got = gradients(op, c);
  for (const [i, name] of ["input", "filter"].entries()) {
    assert.equal(got[i].length, ref[i].length, `${name} gradient size for ${JSON.stringify(c)}`);
    const d = scaledDiff(ref[i], got[i]);
    assert.ok(
      d <= TOLERANCE,
      `${name} gradient off by ${d.toExponential(2)} (scaled) for ${JSON.stringify(c)}`,
    );
  }
}

before(async () => {
  await selectBackend("wasm");
  registerWasmGradientKernels();
  registerWasmGradientKernels(); // idempotent
});

test("registers its kernels for the wasm backend, including the three wasm lacks", () => {
  for (const name of WASM_GRADIENT_KERNELS) assert.ok(tf.getKernel(name, "wasm"), name);
  for (const name of [
    "Conv2DBackpropFilter",
    "DepthwiseConv2dNativeBackpropFilter",
    "DepthwiseConv2dNativeBackpropInput",
  ]) {
    assert.ok((WASM_GRADIENT_KERNELS as readonly string[]).includes(name), name);
  }
});

test(`conv2d gradients (input and filter, plain and fused) match the cpu backend on ${RUNS} random shapes`, async () => {
  await fc.assert(
    fc.asyncProperty(caseArb(6), (c) => compare(conv, c)),
    { seed: 18, numRuns: RUNS },
  );
});

test(`depthwise conv2d gradients (channel multiplier 1-3) match the cpu backend on ${RUNS} random shapes`, async () => {
  await fc.assert(
    fc.asyncProperty(caseArb(3), (c) => compare(depthwise, c)),
    { seed: 1802, numRuns: RUNS },
  );
});

test("a kernel that cannot serve the request names the value, expected and where", async () => {
  await selectBackend("wasm");
  assert.throws(
    () =>
      tf
        .engine()
        .runKernel(
          "Conv2DBackpropFilter",
          { x: tf.zeros([1, 3, 3, 2]), dy: tf.zeros([1, 3, 3, 2]) },
          { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [1, 1, 2, 2] },
        ),
    /Conv2DBackpropFilter on wasm: expected dataFormat "NHWC", got "NCHW"/,
  );
});
