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

/** The same function of seeded random inputs on cpu and on wasm, compared with the gradient tolerance. */
async function sameOnBoth(label: string, run: () => TF.Tensor | TF.Tensor[]): Promise<void> {
  const values = async (backend: "cpu" | "wasm") => {
    await selectBackend(backend);
    return tf.tidy(() => [run()].flat().map((t) => t.dataSync() as Float32Array));
  };
  const ref = await values("cpu");
  const got = await values("wasm");
  for (const [i, r] of ref.entries()) {
    assert.equal(got[i].length, r.length, `${label}: output ${i} size`);
    const d = scaledDiff(r, got[i]);
    assert.ok(d <= TOLERANCE, `${label}: output ${i} off by ${d.toExponential(2)} (scaled)`);
  }
}

const shapeArb = (rank: number, max: number) =>
  fc.array(fc.integer({ min: 1, max }), { minLength: rank, maxLength: rank });

test(`max-pool gradients match the cpu backend on ${RUNS} random shapes, ties after ReLU included`, async () => {
  const arb = fc.record({
    shape: shapeArb(4, 9),
    size: fc.constantFrom(2, 3),
    stride: fc.constantFrom(1, 2),
    pad: fc.constantFrom("same" as const, "valid" as const),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async (c) => {
      const shape = c.shape.map((d, i) =>
        (i === 1 || i === 2) && c.pad === "valid" ? Math.max(d, c.size) : d,
      );
      await sameOnBoth(`maxPool ${JSON.stringify({ ...c, shape })}`, () => {
        const rand = mulberry32(c.seed); // fresh per backend: both draw the same x and r
        const x = randomArray(
          shape.reduce((a, b) => a * b),
          rand,
        );
        const xt = tf.relu(tf.tensor4d(x, shape as [number, number, number, number]));
        const y = tf.maxPool(xt, c.size, c.stride, c.pad);
        const r = tf.tensor(randomArray(y.size, rand), y.shape);
        return tf.grad((xi: TF.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(xi as TF.Tensor4D, c.size, c.stride, c.pad), r)),
        )(xt);
      });
    }),
    { seed: 1803, numRuns: RUNS },
  );
});

test(`the wrapped BatchMatMul (transposes), Tile, Sum and Mean match the cpu backend on ${RUNS} random cases`, async () => {
  const arb = fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    dims: shapeArb(3, 9),
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
    tileShape: shapeArb(4, 4),
    ones: fc.integer({ min: 0, max: 4 }),
    reps: shapeArb(4, 3),
    axes: fc.subarray([0, 1, 2, 3], { minLength: 1 }),
    keepDims: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async (c) => {
      const rand = mulberry32(c.seed);
      const [m, k, n] = c.dims;
      const a = randomArray(c.batch * m * k, rand);
      const b = randomArray(c.batch * k * n, rand);
      // leading size-1 axes make the Tile fast path apply; the rest exercise its fallback
      const tileShape = c.tileShape.map((d, i) => (i < c.ones ? 1 : d));
      const t = randomArray(
        tileShape.reduce((p, d) => p * d),
        rand,
      );
      await sameOnBoth(`ops ${JSON.stringify(c)}`, () => {
        const at = tf.tensor3d(a, c.transposeA ? [c.batch, k, m] : [c.batch, m, k]);
        const bt = tf.tensor3d(b, c.transposeB ? [c.batch, n, k] : [c.batch, k, n]);
        const x = tf.tensor4d(t, tileShape as [number, number, number, number]);
        return [
          tf.matMul(at, bt, c.transposeA, c.transposeB),
          tf.tile(x, c.reps),
          tf.sum(x, c.axes, c.keepDims),
          tf.mean(x, c.axes, c.keepDims),
        ];
      });
    }),
    { seed: 1804, numRuns: RUNS },
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
