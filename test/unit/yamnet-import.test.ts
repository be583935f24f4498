import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { TfliteModel } from "../../src/inference/tflite/model.js";
import { readTflite } from "../../src/inference/tflite/reader.js";
import { TensorType } from "../../src/inference/tflite/schema.js";
import { importYamnetTflite } from "../../src/inference/yamnet-import.js";
import {
  type ImportedLayer,
  type ImportedYamnet,
  YamnetImportError,
} from "../../src/inference/yamnet-layers.js";
import { PROJECT_ROOT } from "../../src/version.js";

const MODELS = join(PROJECT_ROOT, "..", "shared", "models", "yamnet");
const FRAMES = join(MODELS, "yamnet-frames-dynamic-int8.tflite");
const CLASSIFIER = join(MODELS, "yamnet-classifier-int8.tflite");
/** The published dynamic-int8 frames file's sha256, which the importer checks files of that name against. */
const FRAMES_SHA256 = "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194";
const bytesOf = (path: string) => new Uint8Array(readFileSync(path));

const EXPECTED_SHAPES: Array<[number, number, number]> = [
  [48, 32, 32],
  [48, 32, 32],
  [48, 32, 64],
  [24, 16, 64],
  [24, 16, 128],
  [24, 16, 128],
  [24, 16, 128],
  [12, 8, 128],
  [12, 8, 256],
  [12, 8, 256],
  [12, 8, 256],
  [6, 4, 256],
  ...Array.from({ length: 11 }, (): [number, number, number] => [6, 4, 512]),
  [3, 2, 512],
  [3, 2, 1024],
  [3, 2, 1024],
  [3, 2, 1024],
];

/** Raw (TFLite-layout) weight values of a layer, as stored in the file, dequantized per element. */
function rawWeights(
  model: TfliteModel,
  layer: ImportedLayer,
): { shape: number[]; at: (flat: number) => number } {
  const sg = model.subgraphs[0]!;
  const op = sg.operators[layer.tfliteOperator]!;
  let tensor = sg.tensors[op.inputs[1]!]!;
  if (model.buffers[tensor.buffer]!.length === 0) {
    const dq = sg.operators.find((o) => o.outputs[0] === tensor.index)!;
    tensor = sg.tensors[dq.inputs[0]!]!;
  }
  const data = model.buffers[tensor.buffer]!;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const q = tensor.quantization;
  const shape = tensor.shape;
  const channelOf = (flat: number) => {
    if (!q || q.scale.length === 1) return 0;
    const inner = shape.slice(q.quantizedDimension + 1).reduce((a, b) => a * b, 1);
    return Math.floor(flat / inner) % shape[q.quantizedDimension]!;
  };
  return {
    shape,
    at: (flat) =>
      tensor.type === TensorType.INT8
        ? view.getInt8(flat) * q!.scale[channelOf(flat)]!
        : view.getFloat32(4 * flat, true),
  };
}

function dequantized(layer: ImportedLayer, flat: number): number {
  const k = layer.kernel;
  return k.quantization === "float32" ? k.values[flat]! : k.values[flat]! * k.scales[flat % k.scales.length]!;
}

function checkStructure(m: ImportedYamnet): void {
  assert.equal(m.layers.length, 28);
  const conv = m.layers.slice(0, 27);
  assert.deepEqual(
    conv.map((l) => l.outputShape),
    EXPECTED_SHAPES,
  );
  assert.deepEqual(
    conv.filter((l) => l.stride === 2).map((l) => l.index),
    [1, 4, 8, 12, 24],
  );
  assert.deepEqual(
    conv.map((l) => l.op),
    conv.map((l) => (l.index === 1 || l.index % 2 === 1 ? "conv2d" : "depthwise")),
  );
  assert.deepEqual(m.layers[0]!.kernelShape, [3, 3, 1, 32]);
  assert.deepEqual(m.layers[1]!.kernelShape, [3, 3, 32, 1]);
  assert.deepEqual(m.layers[2]!.kernelShape, [1, 1, 32, 64]);
  const dense = m.layers[27]!;
  assert.equal(dense.op, "dense");
  assert.deepEqual(dense.kernelShape, [1024, 521]);
  assert.equal(dense.bias.length, 521);
}

describe("YAMNet importer", () => {
  it("imports the dynamic-range frames file: per-tensor int8 with float32 early layers, ReLU", () => {
    const m = importYamnetTflite(bytesOf(FRAMES), FRAMES);
    checkStructure(m);
    assert.equal(m.source.sha256, FRAMES_SHA256);
    assert.deepEqual(
      m.layers.filter((l) => l.kernel.quantization === "float32").map((l) => l.index),
      [1, 2, 4],
    );
    assert.ok(m.layers.every((l) => l.kernel.quantization !== "int8-per-channel"));
    assert.ok(m.layers.slice(0, 27).every((l) => l.activation === "relu"));
    assert.equal(m.layers[27]!.activation, "linear");
    assert.equal(m.inputQuantization, null);
  });

  it("imports the fully-integer classifier file: per-channel int8, int32 biases, fused ReLU6", () => {
    const m = importYamnetTflite(bytesOf(CLASSIFIER), CLASSIFIER);
    checkStructure(m);
    for (const l of m.layers.slice(0, 27)) {
      assert.equal(l.kernel.quantization, "int8-per-channel", `layer ${l.index}`);
      assert.equal(l.activation, "relu6");
      assert.equal(l.kernel.scales.length, l.outputShape[2]);
    }
    assert.equal(m.layers[27]!.kernel.quantization, "int8-per-tensor");
    assert.ok(Math.abs(m.inputQuantization!.scale - 0.048021) < 1e-6);
    assert.equal(m.inputQuantization!.zeroPoint, 16);
  });

  it("dequantizes int32 biases with input scale × weight scale", () => {
    const model = readTflite(bytesOf(CLASSIFIER), CLASSIFIER);
    const m = importYamnetTflite(bytesOf(CLASSIFIER), CLASSIFIER);
    const sg = model.subgraphs[0]!;
    for (const layer of [m.layers[0]!, m.layers[13]!, m.layers[27]!]) {
      const op = sg.operators[layer.tfliteOperator]!;
      const inScale = sg.tensors[op.inputs[0]!]!.quantization!.scale[0]!;
      const w = sg.tensors[op.inputs[1]!]!.quantization!.scale;
      const b = sg.tensors[op.inputs[2]!]!;
      const data = model.buffers[b.buffer]!;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (const c of [0, 7, layer.bias.length - 1]) {
        const expected = view.getInt32(4 * c, true) * inScale * w[w.length === 1 ? 0 : c]!;
        assert.ok(
          Math.abs(layer.bias[c]! - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
          `layer ${layer.index} c${c}`,
        );
      }
    }
  });

  it("maps TFLite layouts to TF.js: conv OHWI→HWIO, depthwise [1,H,W,C]→[H,W,C,1], dense [out,in]→[in,out]", () => {
    for (const file of [FRAMES, CLASSIFIER]) {
      const bytes = bytesOf(file);
      const model = readTflite(bytes, file);
      const m = importYamnetTflite(bytes, file);
      for (const layer of [
        m.layers[0]!,
        m.layers[1]!,
        m.layers[4]!,
        m.layers[25]!,
        m.layers[26]!,
        m.layers[27]!,
      ]) {
        const raw = rawWeights(model, layer);
        const [s0, s1, s2, s3] = raw.shape;
        for (let trial = 0; trial < 50; trial++) {
          const flat = (trial * 2654435761) % raw.shape.reduce((a, b) => a * b, 1);
          let target: number;
          if (layer.op === "dense") {
            const o = Math.floor(flat / s1!);
            const i = flat % s1!;
            target = i * s0! + o;
          } else if (layer.op === "conv2d") {
            const o = Math.floor(flat / (s1! * s2! * s3!));
            const h = Math.floor(flat / (s2! * s3!)) % s1!;
            const w = Math.floor(flat / s3!) % s2!;
            const i = flat % s3!;
            target = ((h * s2! + w) * s3! + i) * s0! + o;
          } else {
            target = flat; // [1,H,W,C] and [H,W,C,1] share the memory order
          }
          const expected = raw.at(flat);
          assert.ok(
            Math.abs(dequantized(layer, target) - expected) <= 1e-7 * Math.max(1, Math.abs(expected)),
            `${file} layer ${layer.index} source element ${flat}`,
          );
        }
      }
    }
  });

  it("refuses a known file name whose sha256 is wrong", () => {
    const bytes = bytesOf(FRAMES);
    bytes[bytes.length - 1]! ^= 0xff;
    assert.throws(
      () => importYamnetTflite(bytes, "/somewhere/yamnet-frames-dynamic-int8.tflite"),
      (err: unknown) =>
        err instanceof YamnetImportError &&
        err.message.startsWith(
          "/somewhere/yamnet-frames-dynamic-int8.tflite: cannot import as YAMNet: sha256 is ",
        ) &&
        err.message.includes(`expected ${FRAMES_SHA256}`),
    );
  });

  it("refuses a truncated YAMNet under another name with the reader's error", () => {
    const bytes = bytesOf(CLASSIFIER).subarray(0, 3_000_000);
    assert.throws(
      () => importYamnetTflite(bytes, "copy.tflite"),
      /copy\.tflite: not a readable TFLite model: .*truncated or corrupt/,
    );
  });
});
