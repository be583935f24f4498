import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Builder } from "flatbuffers";
import { TfliteFormatError } from "../../src/inference/tflite/checked-reader.js";
import { readTflite } from "../../src/inference/tflite/reader.js";
import { ActivationFunction, BuiltinOperator, Field, TensorType } from "../../src/inference/tflite/schema.js";
import { importYamnetTflite } from "../../src/inference/yamnet-import.js";
import { YamnetImportError } from "../../src/inference/yamnet-layers.js";
import { PROJECT_ROOT } from "../../src/version.js";

const SHARED = join(PROJECT_ROOT, "..", "shared");
const FRAMES = join(SHARED, "models", "yamnet", "yamnet-frames-dynamic-int8.tflite");
const CLASSIFIER = join(SHARED, "models", "yamnet", "yamnet-classifier-int8.tflite");
const bytesOf = (path: string) => new Uint8Array(readFileSync(path));

/**
 * Builds a small, valid TFLite file by hand with the flatbuffers Builder: one CONV_2D (8 filters 3×3, stride
 * 1) over a 28×28×1 image — a real TFLite model, but not YAMNet. `useDeprecatedOpcode` writes the opcode
 * the way pre-2.4 converters did (deprecated_builtin_code only).
 */
function buildTinyConvTflite(opts: { useDeprecatedOpcode?: boolean } = {}): Uint8Array {
  const b = new Builder(1024);
  const intVector = (values: number[]) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
    return b.endVector();
  };
  const offsetVector = (offsets: number[]) => {
    b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
    return b.endVector();
  };
  const weights = new Uint8Array(new Float32Array(8 * 3 * 3).fill(0.5).buffer);
  b.startVector(1, weights.length, 16);
  for (let i = weights.length - 1; i >= 0; i--) b.addInt8(weights[i]!);
  const weightData = b.endVector();
  b.startObject(3);
  const emptyBuffer = b.endObject();
  b.startObject(3);
  b.addFieldOffset(Field.Buffer.data, weightData, 0);
  const weightBuffer = b.endObject();

  const tensor = (name: string, shape: number[], buffer: number) => {
    const n = b.createString(name);
    const s = intVector(shape);
    b.startObject(5);
    b.addFieldOffset(Field.Tensor.shape, s, 0);
    b.addFieldInt8(Field.Tensor.type, TensorType.FLOAT32, -1);
    b.addFieldInt32(Field.Tensor.buffer, buffer, -1);
    b.addFieldOffset(Field.Tensor.name, n, 0);
    return b.endObject();
  };
  const tensors = [
    tensor("image", [1, 28, 28, 1], 0),
    tensor("filters", [8, 3, 3, 1], 1),
    tensor("out", [1, 28, 28, 8], 0),
  ];

  b.startObject(4);
  b.addFieldInt8(Field.Conv2DOptions.padding, 0, -1);
  b.addFieldInt32(Field.Conv2DOptions.strideW, 1, -1);
  b.addFieldInt32(Field.Conv2DOptions.strideH, 1, -1);
  b.addFieldInt8(Field.Conv2DOptions.activation, ActivationFunction.RELU6, -1);
  const convOptions = b.endObject();
  const opInputs = intVector([0, 1, -1]);
  const opOutputs = intVector([2]);
  b.startObject(5);
  b.addFieldInt32(Field.Operator.opcodeIndex, 0, -1);
  b.addFieldOffset(Field.Operator.inputs, opInputs, 0);
  b.addFieldOffset(Field.Operator.outputs, opOutputs, 0);
  b.addFieldInt8(Field.Operator.builtinOptionsType, 1, -1);
  b.addFieldOffset(Field.Operator.builtinOptions, convOptions, 0);
  const operator = b.endObject();

  const tensorVec = offsetVector(tensors);
  const sgInputs = intVector([0]);
  const sgOutputs = intVector([2]);
  const opVec = offsetVector([operator]);
  const sgName = b.createString("main");
  b.startObject(5);
  b.addFieldOffset(Field.SubGraph.tensors, tensorVec, 0);
  b.addFieldOffset(Field.SubGraph.inputs, sgInputs, 0);
  b.addFieldOffset(Field.SubGraph.outputs, sgOutputs, 0);
  b.addFieldOffset(Field.SubGraph.operators, opVec, 0);
  b.addFieldOffset(Field.SubGraph.name, sgName, 0);
  const subgraph = b.endObject();

  b.startObject(4);
  b.addFieldInt8(Field.OperatorCode.deprecatedBuiltinCode, BuiltinOperator.CONV_2D, -1);
  if (!opts.useDeprecatedOpcode) b.addFieldInt32(Field.OperatorCode.builtinCode, BuiltinOperator.CONV_2D, -1);
  const opcode = b.endObject();

  const opcodes = offsetVector([opcode]);
  const subgraphs = offsetVector([subgraph]);
  const buffers = offsetVector([emptyBuffer, weightBuffer]);
  const description = b.createString("hand-built test model");
  b.startObject(5);
  b.addFieldInt32(Field.Model.version, 3, -1);
  b.addFieldOffset(Field.Model.operatorCodes, opcodes, 0);
  b.addFieldOffset(Field.Model.subgraphs, subgraphs, 0);
  b.addFieldOffset(Field.Model.description, description, 0);
  b.addFieldOffset(Field.Model.buffers, buffers, 0);
  const model = b.endObject();
  b.finish(model, "TFL3");
  return b.asUint8Array().slice();
}

describe("TFLite reader", () => {
  it("reads a hand-built model field by field", () => {
    for (const useDeprecatedOpcode of [false, true]) {
      const m = readTflite(buildTinyConvTflite({ useDeprecatedOpcode }), "tiny.tflite");
      assert.equal(m.version, 3);
      assert.equal(m.description, "hand-built test model");
      const sg = m.subgraphs[0]!;
      assert.equal(sg.name, "main");
      assert.deepEqual(
        sg.tensors.map((t) => [t.name, t.shape, t.type, t.buffer]),
        [
          ["image", [1, 28, 28, 1], TensorType.FLOAT32, 0],
          ["filters", [8, 3, 3, 1], TensorType.FLOAT32, 1],
          ["out", [1, 28, 28, 8], TensorType.FLOAT32, 0],
        ],
      );
      const op = sg.operators[0]!;
      assert.equal(
        op.opcode,
        BuiltinOperator.CONV_2D,
        `opcode with useDeprecatedOpcode=${useDeprecatedOpcode}`,
      );
      assert.deepEqual(op.inputs, [0, 1, -1]);
      assert.deepEqual(op.options, {
        kind: "conv2d",
        padding: 0,
        strideW: 1,
        strideH: 1,
        dilationW: 1,
        dilationH: 1,
        depthMultiplier: 1,
        activation: ActivationFunction.RELU6,
      });
      const w = m.buffers[1]!;
      assert.equal(w.length, 8 * 9 * 4);
      assert.equal(new DataView(w.buffer, w.byteOffset).getFloat32(0, true), 0.5);
    }
  });

  it("reads both shared YAMNet files with their quantization parameters", () => {
    const frames = readTflite(bytesOf(FRAMES), FRAMES);
    const classifier = readTflite(bytesOf(CLASSIFIER), CLASSIFIER);
    const convs = (m: typeof frames) =>
      m.subgraphs[0]!.operators.filter(
        (o) => o.opcode === BuiltinOperator.CONV_2D || o.opcode === BuiltinOperator.DEPTHWISE_CONV_2D,
      );
    assert.equal(convs(frames).length, 27);
    assert.equal(convs(classifier).length, 27);
    assert.ok(frames.subgraphs[0]!.operators.some((o) => o.opcode === BuiltinOperator.DEQUANTIZE));
    // Per-channel int8 weights in the classifier: one scale per output channel along quantized_dimension.
    const sg = classifier.subgraphs[0]!;
    const dw = convs(classifier).find((o) => o.opcode === BuiltinOperator.DEPTHWISE_CONV_2D)!;
    const w = sg.tensors[dw.inputs[1]!]!;
    assert.equal(w.type, TensorType.INT8);
    assert.equal(w.quantization!.quantizedDimension, 3);
    assert.equal(w.quantization!.scale.length, w.shape[3]);
    assert.ok(classifier.metadataNames.includes("TFLITE_METADATA"));
  });

  it("refuses garbage bytes, naming the file and the identifier it found", () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251);
    assert.throws(
      () => readTflite(garbage, "garbage.tflite"),
      (err: unknown) =>
        err instanceof TfliteFormatError &&
        /^garbage\.tflite: not a readable TFLite model: file identifier is .*, expected "TFL3"$/.test(
          err.message,
        ),
    );
  });

  it("refuses a WAV file handed over as a model", () => {
    const wav = bytesOf(join(SHARED, "examples", "dog_975ms.wav"));
    assert.throws(() => readTflite(wav, "dog_975ms.wav"), {
      message:
        'dog_975ms.wav: not a readable TFLite model: file identifier is bytes 04 7a 00 00, expected "TFL3" (it looks like a WAV file)',
    });
  });

  it("refuses a truncated file with the offset that falls outside it", () => {
    const full = bytesOf(FRAMES);
    for (const keep of [6, 64, 4096, Math.floor(full.length / 2), full.length - 100]) {
      assert.throws(
        () => readTflite(full.subarray(0, keep), "cut.tflite"),
        (err: unknown) =>
          err instanceof TfliteFormatError &&
          err.message.startsWith("cut.tflite: not a readable TFLite model: ") &&
          /(outside the \d+-byte file \(truncated or corrupt\)|only \d+ bytes long)/.test(err.message),
        `truncated to ${keep} bytes`,
      );
    }
  });

  it("refuses a root offset pointing past the end", () => {
    const bytes = buildTinyConvTflite();
    new DataView(bytes.buffer).setUint32(0, bytes.length + 1000, true);
    assert.throws(
      () => readTflite(bytes, "bad-root.tflite"),
      /bad-root\.tflite: .*root table at byte \d+ .* outside/,
    );
  });

  it("refuses a tensor reference that does not exist", () => {
    const bytes = buildTinyConvTflite();
    // Output vectors (of the operator and the subgraph) are the int32 vectors [2]: length 1, value 2.
    const view = new DataView(bytes.buffer);
    let p = 0;
    while (!(view.getUint32(p, true) === 1 && view.getInt32(p + 4, true) === 2)) p += 4;
    view.setInt32(p + 4, 99, true);
    assert.throws(
      () => readTflite(bytes, "bad-ref.tflite"),
      /bad-ref\.tflite: not a readable TFLite model: .* refers to tensor 99, but the subgraph has 3 tensors$/,
    );
  });

  it("the YAMNet importer refuses a valid TFLite model that is not YAMNet", () => {
    assert.throws(
      () => importYamnetTflite(buildTinyConvTflite(), "tiny.tflite"),
      (err: unknown) =>
        err instanceof YamnetImportError &&
        err.message ===
          "tiny.tflite: cannot import as YAMNet: no CONV_2D operator takes a 96×64×1 log-mel patch, so this is not a YAMNet model",
    );
  });
});
