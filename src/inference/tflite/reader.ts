import { ByteBuffer } from "flatbuffers";
import {
  type ActivationFunction,
  BuiltinOperator,
  BuiltinOptionsType,
  Field,
  type Padding,
  TENSOR_TYPE_BYTES,
  TensorType,
  TFLITE_FILE_IDENTIFIER,
} from "./schema.js";

/** A TFLite file that cannot be read: names the file and what was wrong with it. */
export class TfliteFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: not a readable TFLite model: ${problem}`);
    this.name = "TfliteFormatError";
  }
}

export interface TfliteQuantization {
  scale: Float32Array;
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: TensorType;
  /** Index into TfliteModel.buffers (0 is the always-empty buffer). */
  buffer: number;
  quantization: TfliteQuantization | null;
}

export interface ConvOptions {
  kind: "conv2d" | "depthwise";
  padding: Padding;
  strideW: number;
  strideH: number;
  dilationW: number;
  dilationH: number;
  depthMultiplier: number;
  activation: ActivationFunction;
}

export interface FullyConnectedOptions {
  kind: "fully_connected";
  activation: ActivationFunction;
  weightsFormat: number;
  keepNumDims: boolean;
}

export interface ReducerOptions {
  kind: "reducer";
  keepDims: boolean;
}

export type OperatorOptions = ConvOptions | FullyConnectedOptions | ReducerOptions;

export interface TfliteOperator {
  index: number;
  /** Builtin operator code (resolved from builtin_code or deprecated_builtin_code). */
  opcode: number;
  customCode: string | null;
  inputs: number[];
  outputs: number[];
  options: OperatorOptions | null;
}

export interface TfliteSubgraph {
  name: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  file: string;
  version: number;
  description: string;
  subgraphs: TfliteSubgraph[];
  /** Raw bytes of each buffer (views into the file). */
  buffers: Uint8Array[];
  metadataNames: string[];
}

/**
 * A flatbuffer reader that checks every offset against the file's length before following it, so a
 * truncated or corrupt file fails with a message instead of reading garbage.
 */
class CheckedReader {
  readonly bb: ByteBuffer;
  readonly length: number;

  constructor(
    bytes: Uint8Array,
    readonly file: string,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.length = bytes.length;
  }

  fail(problem: string): never {
    throw new TfliteFormatError(this.file, problem);
  }

  need(pos: number, size: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || size < 0 || pos + size > this.length) {
      this.fail(
        `${what} at byte ${pos} (+${size}) lies outside the ${this.length}-byte file (truncated or corrupt)`,
      );
    }
  }

  /** Position of a table's field, or 0 when the field is absent. */
  field(table: number, id: number, what: string): number {
    this.need(table, 4, `table of ${what}`);
    const vtable = table - this.bb.readInt32(table);
    this.need(vtable, 4, `vtable of ${what}`);
    const vtableSize = this.bb.readUint16(vtable);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(`vtable of ${what} has invalid size ${vtableSize}`);
    this.need(vtable, vtableSize, `vtable of ${what}`);
    const slot = 4 + 2 * id;
    if (slot >= vtableSize) return 0;
    const off = this.bb.readUint16(vtable + slot);
    return off === 0 ? 0 : table + off;
  }

  /** Follows an offset stored at `pos` (uoffset_t) to the referenced object. */
  indirect(pos: number, what: string): number {
    this.need(pos, 4, what);
    const target = pos + this.bb.readUint32(pos);
    this.need(target, 4, what);
    return target;
  }

  table(table: number, id: number, what: string): number | null {
    const pos = this.field(table, id, what);
    return pos === 0 ? null : this.indirect(pos, what);
  }

  /** Start and length of a vector field with elements of `elementSize` bytes; null when absent. */
  vector(
    table: number,
    id: number,
    elementSize: number,
    what: string,
  ): { start: number; length: number } | null {
    const pos = this.field(table, id, what);
    if (pos === 0) return null;
    const vec = this.indirect(pos, what);
    const length = this.bb.readUint32(vec);
    this.need(vec + 4, length * elementSize, `${what} (${length} elements)`);
    return { start: vec + 4, length };
  }

  int32s(table: number, id: number, what: string): number[] {
    const v = this.vector(table, id, 4, what);
    const out: number[] = [];
    if (v) for (let i = 0; i < v.length; i++) out.push(this.bb.readInt32(v.start + 4 * i));
    return out;
  }

  float32s(table: number, id: number, what: string): Float32Array {
    const v = this.vector(table, id, 4, what);
    const out = new Float32Array(v ? v.length : 0);
    if (v) for (let i = 0; i < v.length; i++) out[i] = this.bb.readFloat32(v.start + 4 * i);
    return out;
  }

  int64s(table: number, id: number, what: string): number[] {
    const v = this.vector(table, id, 8, what);
    const out: number[] = [];
    if (v) for (let i = 0; i < v.length; i++) out.push(Number(this.bb.readInt64(v.start + 8 * i)));
    return out;
  }

  /** Table positions of a vector of tables. */
  tables(table: number, id: number, what: string): number[] {
    const v = this.vector(table, id, 4, what);
    const out: number[] = [];
    if (v) for (let i = 0; i < v.length; i++) out.push(this.indirect(v.start + 4 * i, `${what}[${i}]`));
    return out;
  }

  string(table: number, id: number, what: string): string {
    const pos = this.field(table, id, what);
    if (pos === 0) return "";
    const str = this.indirect(pos, what);
    const length = this.bb.readUint32(str);
    this.need(str + 4, length, what);
    return new TextDecoder().decode(this.bb.bytes().subarray(str + 4, str + 4 + length));
  }

  uint8(table: number, id: number, what: string, fallback = 0): number {
    const pos = this.field(table, id, what);
    if (pos === 0) return fallback;
    this.need(pos, 1, what);
    return this.bb.readUint8(pos);
  }

  int8(table: number, id: number, what: string, fallback = 0): number {
    const pos = this.field(table, id, what);
    if (pos === 0) return fallback;
    this.need(pos, 1, what);
    return this.bb.readInt8(pos);
  }

  int32(table: number, id: number, what: string, fallback = 0): number {
    const pos = this.field(table, id, what);
    if (pos === 0) return fallback;
    this.need(pos, 4, what);
    return this.bb.readInt32(pos);
  }

  uint32(table: number, id: number, what: string, fallback = 0): number {
    const pos = this.field(table, id, what);
    if (pos === 0) return fallback;
    this.need(pos, 4, what);
    return this.bb.readUint32(pos);
  }

  uint64(table: number, id: number, what: string, fallback = 0): number {
    const pos = this.field(table, id, what);
    if (pos === 0) return fallback;
    this.need(pos, 8, what);
    return Number(this.bb.readUint64(pos));
  }
}

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
    case BuiltinOperator.CONV_2D: {
      expectType(BuiltinOptionsType.Conv2DOptions, "Conv2DOptions");
      const F = Field.Conv2DOptions;
      return {
        kind: "conv2d",
        padding: r.int8(opts, F.padding, `${what} padding`),
        strideW: r.int32(opts, F.strideW, `${what} stride_w`),
        strideH: r.int32(opts, F.strideH, `${what} stride_h`),
        dilationW: r.int32(opts, F.dilationW, `${what} dilation_w`, 1),
        dilationH: r.int32(opts, F.dilationH, `${what} dilation_h`, 1),
        depthMultiplier: 1,
        activation: r.int8(opts, F.activation, `${what} activation`),
      };
    }
    case BuiltinOperator.DEPTHWISE_CONV_2D: {
      expectType(BuiltinOptionsType.DepthwiseConv2DOptions, "DepthwiseConv2DOptions");
      const F = Field.DepthwiseConv2DOptions;
      return {
        kind: "depthwise",
        padding: r.int8(opts, F.padding, `${what} padding`),
        strideW: r.int32(opts, F.strideW, `${what} stride_w`),
        strideH: r.int32(opts, F.strideH, `${what} stride_h`),
        dilationW: r.int32(opts, F.dilationW, `${what} dilation_w`, 1),
        dilationH: r.int32(opts, F.dilationH, `${what} dilation_h`, 1),
        depthMultiplier: r.int32(opts, F.depthMultiplier, `${what} depth_multiplier`),
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

/** The data of a constant tensor, or null for an activation tensor (empty buffer). */
export function constantData(model: TfliteModel, tensor: TfliteTensor): Uint8Array | null {
  const data = model.buffers[tensor.buffer];
  return data && data.length > 0 ? data : null;
}
