import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type * as TF from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { REASONS } from "../../src/events.js";
import { selectBackend, tf } from "../../src/inference/backend.js";
import { loadLayersModelFromDir } from "../../src/inference/heads.js";
import {
  ARCH_NAMES,
  ARCH_RECIPES,
  type ArchBuildOptions,
  type ArchName,
  buildArch,
  countParams,
  isArchName,
  multiplyAdds,
  PATCH_SHAPE,
  SMOKE_SCALE,
} from "../../src/train/archs/index.js";
import { applyQuantization, saveQuantizedModel } from "../../src/train/export.js";
import { mulberry32 } from "../../src/train/random.js";

const TINY = { inputShape: PATCH_SHAPE, ...SMOKE_SCALE, dropout: 0, seed: 7 };
/**
 * The training-step test runs on 32×32 inputs: the same layers (every family takes any multiple of 32), at a
 * sixth of the cpu backend's slow convolution gradients.
 */
const SMALL_INPUT: [number, number, number] = [32, 32, 1];
const rand = mulberry32(11);
let dir: string;

before(async () => {
  await selectBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "babymon-archs-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** n patches of log-mel-like values (log of a mel power: roughly −10…2) */
function patches(n: number, [h, w, c] = PATCH_SHAPE): TF.Tensor4D {
  return tf.tensor4d(
    Float32Array.from({ length: n * h * w * c }, () => rand() * 12 - 10),
    [n, h, w, c],
  );
}

function outputs(model: tfl.LayersModel, x: TF.Tensor, training = false): [TF.Tensor, TF.Tensor] {
  return (training ? model.apply(x, { training: true }) : model.predict(x)) as [TF.Tensor, TF.Tensor];
}

function loss(model: tfl.LayersModel, x: TF.Tensor, cry: TF.Tensor, reason: TF.Tensor): TF.Scalar {
  const [cryLogit, reasonLogits] = outputs(model, x, true);
  return tf.add(
    tf.losses.sigmoidCrossEntropy(cry, cryLogit),
    tf.losses.softmaxCrossEntropy(reason, reasonLogits),
  ) as TF.Scalar;
}

test("every arch name is known, and only those", () => {
  for (const name of ARCH_NAMES) assert.ok(isArchName(name));
  assert.ok(!isArchName("yamnet-fc"));
  assert.deepEqual(Object.keys(ARCH_RECIPES).sort(), [...ARCH_NAMES].sort());
});

test("buildArch names the bad option and the arch", () => {
  assert.throws(
    () => buildArch("resnet18", { ...TINY, width: 0 }),
    /width multiplier > 0 for resnet18, got 0/,
  );
  assert.throws(
    () => buildArch("base-cnn", { ...TINY, depth: -1 }),
    /depth multiplier > 0 for base-cnn, got -1/,
  );
  assert.throws(
    () => buildArch("efficientnet-b0", { ...TINY, stochasticDepth: 1 }),
    /`stochasticDepth` in \[0, 1\)/,
  );
  assert.throws(
    () => buildArch("mobilenetv3-small", { ...TINY, dropout: 1.5 }),
    /`dropout` in \[0, 1\) for mobilenetv3-small, got 1.5/,
  );
});

for (const name of ARCH_NAMES) {
  test(`${name}: tiny build → [n, 1] cry and [n, 5] reason logits; one training step lowers the loss; save → load predicts the same`, async () => {
    const patchModel = buildArch(name, TINY);
    assert.deepEqual(patchModel.outputNames, ["cry", "reason"]);
    const n = 4;
    const onPatches = patches(n);
    const [cry, reason] = outputs(patchModel, onPatches);
    assert.deepEqual(cry.shape, [n, 1]);
    assert.deepEqual(reason.shape, [n, REASONS.length]);
    assert.ok([...cry.dataSync(), ...reason.dataSync()].every(Number.isFinite), `${name}: non-finite logits`);
    tf.dispose([onPatches, cry, reason]);
    patchModel.dispose();

    const model = buildArch(name, { ...TINY, inputShape: SMALL_INPUT });
    const x = patches(n, SMALL_INPUT);
    const cryLabels = tf.tensor2d([1, 0, 1, 0], [n, 1]);
    const reasonLabels = tf.oneHot(tf.tensor1d([0, 2, 4, 1], "int32"), REASONS.length);
    const before = loss(model, x, cryLabels, reasonLabels).dataSync()[0];
    const optimizer = tf.train.adam(1e-3);
    optimizer.minimize(() => loss(model, x, cryLabels, reasonLabels));
    const afterStep = loss(model, x, cryLabels, reasonLabels).dataSync()[0];
    assert.ok(afterStep < before, `${name}: loss ${before} → ${afterStep} after one Adam step`);

    // the export path of today's heads: quantized kernels, model.json + weights.bin, the daemon's loader
    applyQuantization(model);
    const [cryTrained, reasonTrained] = outputs(model, x);
    await saveQuantizedModel(model, join(dir, name));
    const loaded = await loadLayersModelFromDir(join(dir, name));
    const [cryLoaded, reasonLoaded] = outputs(loaded, x);
    const diff = Math.max(
      tf.max(tf.abs(tf.sub(cryTrained, cryLoaded))).dataSync()[0],
      tf.max(tf.abs(tf.sub(reasonTrained, reasonLoaded))).dataSync()[0],
    );
    assert.ok(diff <= 1e-6, `${name}: saved → loaded predictions differ by ${diff}`);
    optimizer.dispose();
    tf.dispose([x, cryLabels, reasonLabels, cryTrained, reasonTrained, cryLoaded, reasonLoaded]);
    model.dispose();
    loaded.dispose();
  });
}

/**
 * The papers' figures at their 224×224×3 input with a 1000-way classifier on `features` units: ResNet-18
 * 11.7 M / 1.8 G multiply-adds and ResNet-50 25.6 M / 4.1 G (He et al. 2015; torchvision 11.69 M / 1.81 G,
 * 25.56 M / 4.09 G), EfficientNet-B0 5.3 M / 0.39 G (Tan & Le 2019, Table 2), MobileNetV3-Large 5.4 M / 219 M
 * and -Small 2.5 M / 56 M (Howard et al. 2019, Table 3).
 */
const PAPER: Record<Exclude<ArchName, "base-cnn">, { params: number; macs: number; features: number }> = {
  resnet18: { params: 11.7e6, macs: 1.8e9, features: 512 },
  resnet50: { params: 25.6e6, macs: 4.1e9, features: 2048 },
  "efficientnet-b0": { params: 5.3e6, macs: 0.39e9, features: 1280 },
  "mobilenetv3-large": { params: 5.4e6, macs: 219e6, features: 1280 },
  "mobilenetv3-small": { params: 2.5e6, macs: 56e6, features: 1024 },
};
const OUTPUTS = 1 + REASONS.length;
const PIXEL_RATIO = (PATCH_SHAPE[0] * PATCH_SHAPE[1]) / (224 * 224);
const within = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance * expected,
    `${what}: ${actual} is not within ${tolerance * 100} % of ${Math.round(expected)}`,
  );

for (const [name, paper] of Object.entries(PAPER) as [
  keyof typeof PAPER,
  (typeof PAPER)[keyof typeof PAPER],
][]) {
  test(`${name} at width 1: parameters and multiply-adds match the paper (224×224×3) and its scaling to the 96×64×1 patch`, () => {
    const f = paper.features;
    // at the paper's input, with our 6 output units swapped for the paper's 1000-way classifier: within 3 %
    const full = buildArch(name, { inputShape: [224, 224, 3], width: 1, dropout: 0.2, seed: 1 });
    within(
      countParams(full) - (f + 1) * OUTPUTS + (f + 1) * 1000,
      paper.params,
      0.03,
      `${name} params at 224×224×3`,
    );
    within(multiplyAdds(full) - f * OUTPUTS + f * 1000, paper.macs, 0.03, `${name} MACs at 224×224×3`);
    full.dispose();
    // on the patch: the same weights less the 1000-way classifier; the convolutions' work scales with the pixels
    const patch = buildArch(name, { inputShape: PATCH_SHAPE, width: 1, dropout: 0.2, seed: 1 });
    within(countParams(patch), paper.params - (f + 1) * 1000 + (f + 1) * OUTPUTS, 0.15, `${name} params`);
    within(multiplyAdds(patch), (paper.macs - f * 1000) * PIXEL_RATIO + f * OUTPUTS, 0.15, `${name} MACs`);
    patch.dispose();
  });
}

test("base-cnn at width 1: parameters and multiply-adds are those of its layers on the 96×64×1 patch", () => {
  const model = buildArch("base-cnn", { inputShape: PATCH_SHAPE, width: 1, dropout: 0.5, seed: 1 });
  // conv 3×3 (no bias) + batch-norm γ, β per block; flatten 12×8×128 → Dense 256 (no bias) + batch-norm γ, β
  // → cry (1) + reason (5)
  const convs = [
    [1, 32, 96 * 64],
    [32, 64, 48 * 32],
    [64, 128, 24 * 16],
  ];
  const flat = 12 * 8 * 128;
  const params =
    convs.reduce((n, [i, o]) => n + 9 * i * o + 2 * o, 0) + flat * 256 + 2 * 256 + (256 + 1) * OUTPUTS;
  const macs = convs.reduce((n, [i, o, px]) => n + px * 9 * i * o, 0) + flat * 256 + 256 * OUTPUTS;
  assert.equal(countParams(model), params);
  assert.equal(multiplyAdds(model), macs);
  model.dispose();
});

test("recipes stay within the study's: Adam/AdamW, lr 1e-3…3e-5 (from-scratch rates ≤ 1e-3), batch 16/32/64, patience 5–7", () => {
  for (const [name, r] of Object.entries(ARCH_RECIPES)) {
    assert.ok(r.learningRate <= 1e-3 && r.learningRate >= 3e-5, `${name}: lr ${r.learningRate}`);
    assert.ok([16, 32, 64].includes(r.batchSize), `${name}: batch ${r.batchSize}`);
    assert.ok(r.patience >= 5 && r.patience <= 7, `${name}: patience ${r.patience}`);
    assert.ok(r.labelSmoothing > 0 && r.classWeights, `${name}: label smoothing and class weights`);
    assert.ok(r.optimizer === "adamw" || r.weightDecay === 0, `${name}: weight decay needs AdamW`);
  }
});

test("tiny builds predict the same on wasm (the daemon's backend) as on cpu (training's fallback)", async () => {
  const x = patches(2);
  const onCpu = ARCH_NAMES.map((name) => {
    const model = buildArch(name, TINY);
    return { name, model, logits: outputs(model, x).map((t) => t.dataSync() as Float32Array) };
  });
  try {
    await selectBackend("wasm");
    for (const { name, model, logits } of onCpu) {
      const onWasm = outputs(model, x).map((t) => t.dataSync() as Float32Array);
      onWasm.forEach((values, o) => {
        const scale = Math.max(1, ...logits[o].map(Math.abs));
        const diff = Math.max(...values.map((v, i) => Math.abs(v - logits[o][i])));
        assert.ok(
          diff <= 1e-4 * scale,
          `${name} output ${o}: wasm and cpu differ by ${diff} (scale ${scale})`,
        );
      });
    }
  } finally {
    await selectBackend("cpu");
    for (const { model } of onCpu) model.dispose();
    x.dispose();
  }
});

test("dropout and stochastic depth draw new masks at each training call, the same ones from the same seed, and are the identity in inference", async () => {
  const x = patches(4, SMALL_INPUT);
  const cases: [ArchName, Partial<ArchBuildOptions>][] = [
    ["base-cnn", { dropout: 0.5 }],
    // full depth: at one block per stage no MBConv keeps its shape, so none has a residual branch to drop
    ["efficientnet-b0", { depth: 1, stochasticDepth: 0.5 }],
  ];
  for (const [name, options] of cases) {
    const model = buildArch(name, { ...TINY, inputShape: SMALL_INPUT, ...options });
    const reason = (training: boolean) => outputs(model, x, training)[1].dataSync() as Float32Array;
    const [a, b] = [reason(true), reason(true)];
    assert.ok(
      a.some((v, i) => v !== b[i]),
      `${name}: two training calls drew the same masks`,
    );
    const twin = buildArch(name, { ...TINY, inputShape: SMALL_INPUT, ...options });
    assert.deepEqual(outputs(twin, x, true)[1].dataSync(), a, `${name}: one seed, different masks`);
    twin.dispose();
    assert.deepEqual(reason(false), reason(false), `${name}: inference is not deterministic`);
    applyQuantization(model);
    await saveQuantizedModel(model, join(dir, `${name}-masks`));
    const loaded = await loadLayersModelFromDir(join(dir, `${name}-masks`));
    assert.deepEqual(outputs(loaded, x)[1].dataSync(), outputs(model, x)[1].dataSync());
    model.dispose();
    loaded.dispose();
  }
  x.dispose();
});
