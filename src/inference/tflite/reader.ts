import { CheckedReader } from "./checked-reader.js";
import type {
  OperatorOptions,
  TfliteModel,
  TfliteOperator,
  TfliteQuantization,
  TfliteTensor,
} from "./model.js";
import {
  BuiltinOperator,
  BuiltinOptionsType,
  Field,
  TENSOR_TYPE_BYTES,
  TensorType,
  TFLITE_FILE_IDENTIFIER,
} from "./schema.js";

/**
 * Parses a TFLite flatbuffer (schema v3). Every offset is bounds-checked; tensor buffers and operator
 * tensor references are validated. Throws TfliteFormatError naming `file` and the problem.
 */
export function readTflite(bytes: Uint8Array, file: string): TfliteModel {
  const r = new CheckedReader(bytes, file);
  if (bytes.length < 8) r.fail(`file is only ${bytes.length} bytes long`);
  const identifier = new TextDecoder("latin1").decode(bytes.subarray(4, 8));
  if (identifier !== TFLITE_FILE_IDENTIFIER) {
    const shown = /^[\x20-\x7e]{4}$/.test(identifier)
      ? JSON.stringify(identifier)
      : `bytes ${Array.from(bytes.subarray(4, 8), (b) => b.toString(16).padStart(2, "0")).join(" ")}`;
    r.fail(`file identifier is ${shown}, expected "${TFLITE_FILE_IDENTIFIER}"${guessFormat(bytes)}`);
  }
  const root = r.indirect(0, "root table");
  const version = r.uint32(root, Field.Model.version, "Model.version");
  if (version !== 3) r.fail(`schema version is ${version}, expected 3`);
  const description = r.string(root, Field.Model.description, "Model.description");

  const buffers = r.tables(root, Field.Model.buffers, "Model.buffers").map((b, i) => {
    const what = `Model.buffers[${i}]`;
    const data = r.vector(b, Field.Buffer.data, 1, `${what}.data`);
    if (data) return bytes.subarray(data.start, data.start + data.length);
    const offset = r.uint64(b, Field.Buffer.offset, `${what}.offset`);
    const size = r.uint64(b, Field.Buffer.size, `${what}.size`);
    if (offset > 1) {
      r.need(offset, size, `${what} (external data)`);
      return bytes.subarray(offset, offset + size);
    }
    return bytes.subarray(0, 0);
  });

  const opcodes = r.tables(root, Field.Model.operatorCodes, "Model.operator_codes").map((oc, i) => {
    const what = `Model.operator_codes[${i}]`;
    const deprecated = r.int8(
      oc,
      Field.OperatorCode.deprecatedBuiltinCode,
      `${what}.deprecated_builtin_code`,
    );
    const builtin = r.int32(oc, Field.OperatorCode.builtinCode, `${what}.builtin_code`);
    const customCode = r.string(oc, Field.OperatorCode.customCode, `${what}.custom_code`) || null;
    // Old files only set deprecated_builtin_code; new ones set both (deprecated saturates at 127).
    const opcode = Math.max(builtin, deprecated);
    return { opcode, customCode };
  });

  const subgraphs = r.tables(root, Field.Model.subgraphs, "Model.subgraphs").map((sg, si) => {
    const sgWhat = `subgraph ${si}`;
    const tensors = r
      .tables(sg, Field.SubGraph.tensors, `${sgWhat} tensors`)
      .map((t, ti) => readTensor(r, t, ti, `${sgWhat} tensor ${ti}`, buffers));
    const checkTensorRefs = (refs: number[], what: string): number[] => {
      for (const ref of refs) {
        if (ref !== -1 && (ref < 0 || ref >= tensors.length)) {
          r.fail(`${what} refers to tensor ${ref}, but the subgraph has ${tensors.length} tensors`);
        }
      }
      return refs;
    };
    const inputs = checkTensorRefs(
      r.int32s(sg, Field.SubGraph.inputs, `${sgWhat} inputs`),
      `${sgWhat} inputs`,
    );
    const outputs = checkTensorRefs(
      r.int32s(sg, Field.SubGraph.outputs, `${sgWhat} outputs`),
      `${sgWhat} outputs`,
    );
    const operators = r.tables(sg, Field.SubGraph.operators, `${sgWhat} operators`).map((op, oi) => {
      const what = `${sgWhat} operator ${oi}`;
      const opcodeIndex = r.uint32(op, Field.Operator.opcodeIndex, `${what}.opcode_index`);
      const code = opcodes[opcodeIndex];
      if (!code) r.fail(`${what} uses opcode index ${opcodeIndex}, but there are ${opcodes.length} opcodes`);
      const opInputs = checkTensorRefs(
        r.int32s(op, Field.Operator.inputs, `${what} inputs`),
        `${what} inputs`,
      );
      const opOutputs = checkTensorRefs(
        r.int32s(op, Field.Operator.outputs, `${what} outputs`),
        `${what} outputs`,
      );
      return {
        index: oi,
        opcode: code.opcode,
        customCode: code.customCode,
        inputs: opInputs,
        outputs: opOutputs,
        options: readOptions(r, op, code.opcode, what),
      } satisfies TfliteOperator;
    });
    return { name: r.string(sg, Field.SubGraph.name, `${sgWhat} name`), tensors, inputs, outputs, operators };
  });
  if (subgraphs.length === 0) r.fail("it has no subgraphs");

  const metadataNames = r
    .tables(root, Field.Model.metadata, "Model.metadata")
    .map((m, i) => r.string(m, Field.Metadata.name, `Model.metadata[${i}].name`));

  return { file, version, description, subgraphs, buffers, metadataNames };
}

function readTensor(
  r: CheckedReader,
  t: number,
  index: number,
  what: string,
  buffers: Uint8Array[],
): TfliteTensor {
  const shape = r.int32s(t, Field.Tensor.shape, `${what} shape`);
  const type = r.int8(t, Field.Tensor.type, `${what} type`) as TensorType;
  const buffer = r.uint32(t, Field.Tensor.buffer, `${what} buffer`);
  const name = r.string(t, Field.Tensor.name, `${what} name`);
  if (buffer >= buffers.length) r.fail(`${what} (${name}) refers to buffer ${buffer} of ${buffers.length}`);
  const data = buffers[buffer]!;
  if (data.length > 0) {
    const elementBytes = TENSOR_TYPE_BYTES[type];
    const elements = shape.reduce((a, b) => a * b, 1);
    if (elementBytes !== undefined && shape.every((d) => d >= 0) && data.length !== elements * elementBytes) {
      r.fail(
        `${what} (${name}) of shape [${shape}] and type ${TensorType[type] ?? type} needs ${elements * elementBytes} bytes, its buffer has ${data.length}`,
      );
    }
  }
  let quantization: TfliteQuantization | null = null;
  const q = r.table(t, Field.Tensor.quantization, `${what} quantization`);
  if (q !== null) {
    const scale = r.float32s(q, Field.Quantization.scale, `${what} quantization.scale`);
    if (scale.length > 0) {
      const zeroPoint = r.int64s(q, Field.Quantization.zeroPoint, `${what} quantization.zero_point`);
      const quantizedDimension = r.int32(
        q,
        Field.Quantization.quantizedDimension,
        `${what} quantization.quantized_dimension`,
      );
      if (zeroPoint.length !== 0 && zeroPoint.length !== scale.length) {
        r.fail(`${what} (${name}) has ${scale.length} scales but ${zeroPoint.length} zero points`);
      }
      if (scale.length > 1 && (quantizedDimension < 0 || quantizedDimension >= shape.length)) {
        r.fail(`${what} (${name}) has quantized_dimension ${quantizedDimension} for shape [${shape}]`);
      }
      if (scale.length > 1 && shape[quantizedDimension] !== scale.length) {
        r.fail(
          `${what} (${name}) has ${scale.length} scales, but dimension ${quantizedDimension} of [${shape}] is ${shape[quantizedDimension]}`,
        );
      }
      quantization = {
        scale,
        zeroPoint: zeroPoint.length ? zeroPoint : new Array(scale.length).fill(0),
        quantizedDimension,
      };
    }
  }
  return { index, name, shape, type, buffer, quantization };
}

function readOptions(r: CheckedReader, op: number, opcode: number, what: string): OperatorOptions | null {
  const type = r.uint8(op, Field.Operator.builtinOptionsType, `${what}.builtin_options_type`);
  if (type === 0) return null;
  const opts = r.table(op, Field.Operator.builtinOptions, `${what}.builtin_options`);
  if (opts === null) return null;
  const expectType = (expected: number, name: string) => {
    if (type !== expected) r.fail(`${what} has builtin options type ${type}, expected ${name} (${expected})`);
  };
  switch (opcode) {
    case BuiltinOperator.CONV_2D:
    case BuiltinOperator.DEPTHWISE_CONV_2D: {
      const depthwise = opcode === BuiltinOperator.DEPTHWISE_CONV_2D;
      if (depthwise) expectType(BuiltinOptionsType.DepthwiseConv2DOptions, "DepthwiseConv2DOptions");
      else expectType(BuiltinOptionsType.Conv2DOptions, "Conv2DOptions");
      // the same fields (at other ids), and depth_multiplier in the depthwise table only
      const F = depthwise ? Field.DepthwiseConv2DOptions : Field.Conv2DOptions;
      return {
        kind: depthwise ? "depthwise" : "conv2d",
        padding: r.int8(opts, F.padding, `${what} padding`),
        strideW: r.int32(opts, F.strideW, `${what} stride_w`),
        strideH: r.int32(opts, F.strideH, `${what} stride_h`),
        dilationW: r.int32(opts, F.dilationW, `${what} dilation_w`, 1),
        dilationH: r.int32(opts, F.dilationH, `${what} dilation_h`, 1),
        depthMultiplier: depthwise
          ? r.int32(opts, Field.DepthwiseConv2DOptions.depthMultiplier, `${what} depth_multiplier`)
          : 1,
        activation: r.int8(opts, F.activation, `${what} activation`),
      };
    }
    case BuiltinOperator.FULLY_CONNECTED: {
      expectType(BuiltinOptionsType.FullyConnectedOptions, "FullyConnectedOptions");
      const F = Field.FullyConnectedOptions;
      return {
        kind: "fully_connected",
        activation: r.int8(opts, F.activation, `${what} activation`),
        weightsFormat: r.int8(opts, F.weightsFormat, `${what} weights_format`),
        keepNumDims: r.uint8(opts, F.keepNumDims, `${what} keep_num_dims`) !== 0,
      };
    }
    case BuiltinOperator.MEAN:
      expectType(BuiltinOptionsType.ReducerOptions, "ReducerOptions");
      return {
        kind: "reducer",
        keepDims: r.uint8(opts, Field.ReducerOptions.keepDims, `${what} keep_dims`) !== 0,
      };
    default:
      return null;
  }
}

/** A hint at what a non-TFLite file is, from its magic bytes ("" when unknown). */
function guessFormat(bytes: Uint8Array): string {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 12));
  const known: Array<[RegExp, string]> = [
    [/^RIFF....WAVE/s, "a WAV file"],
    [/^(ID3|\xff[\xfb\xf3\xf2])/, "an MP3 file"],
    [/^OggS/, "an Ogg file"],
    [/^fLaC/, "a FLAC file"],
    [/^PK/, "a ZIP archive; unpack the .tflite inside it first"],
    [/^\x89HDF/, "an HDF5 file such as a Keras .h5 model, not TFLite"],
    [/^\s*[{[]/, "JSON"],
    [/^\s*</, "HTML or XML, perhaps a download error page"],
  ];
  const match = known.find(([re]) => re.test(head));
  return match ? ` (it looks like ${match[1]})` : "";
}
