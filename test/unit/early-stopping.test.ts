import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../../src/inference/backend.js";
import { EarlyStopping } from "../../src/train/early-stopping.js";

function tinyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [2] });
  const out = tfl.layers.dense({ units: 1, kernelInitializer: "zeros" }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

function setKernel(model: tfl.LayersModel, value: number): void {
  const [kernel, bias] = model.getWeights();
  model.setWeights([tf.fill(kernel.shape, value), bias]);
}

test("EarlyStopping lowers the learning rate on a plateau, stops after its patience and restores the best weights", async () => {
  await selectBackend("cpu");
  const model = tinyModel();
  const stopping = new EarlyStopping({ patience: 3, plateauPatience: 2, factor: 0.5, minLearningRate: 0.2 });
  setKernel(model, 1);
  assert.deepEqual(stopping.update(1, 1.0, model, 1), { lr: 1, stop: false });
  setKernel(model, 2);
  assert.deepEqual(stopping.update(2, 0.5, model, 1), { lr: 1, stop: false }, "improved: best is epoch 2");
  setKernel(model, 3);
  assert.deepEqual(
    stopping.update(3, 0.5, model, 1),
    { lr: 1, stop: false },
    "within 1e-4 is no improvement",
  );
  assert.deepEqual(stopping.update(4, 0.7, model, 1), { lr: 0.5, stop: false }, "plateau: lr × 0.5");
  assert.deepEqual(stopping.update(5, 0.6, model, 0.5), { lr: 0.5, stop: true }, "patience 3 reached");
  assert.equal(stopping.bestEpoch, 2);
  stopping.restore(model);
  assert.deepEqual(Array.from(model.getWeights()[0].dataSync()), [2, 2]);
  const floor = new EarlyStopping({ patience: 10, plateauPatience: 1, factor: 0.1, minLearningRate: 0.2 });
  floor.update(1, 1, model, 1);
  assert.equal(floor.update(2, 1, model, 1).lr, 0.2, "never below minLearningRate");
  assert.equal(floor.update(3, 1, model, 0.2).lr, 0.2);
  model.dispose();
});
