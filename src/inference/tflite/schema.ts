/**
 * The parts of TensorFlow Lite's flatbuffer schema (tensorflow/lite/schema/schema.fbs) that babymon reads.
 * Field ids are the positions of the fields in their table; enum values are the schema's.
 */

export const TFLITE_FILE_IDENTIFIER = "TFL3";

/** Field ids (vtable slots) per table. */
export const Field = {
  Model: {
    version: 0,
    operatorCodes: 1,
    subgraphs: 2,
    description: 3,
    buffers: 4,
    metadataBuffer: 5,
    metadata: 6,
  },
  OperatorCode: { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 },
  Quantization: { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, details: 5, quantizedDimension: 6 },
  Operator: { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4 },
  Buffer: { data: 0, offset: 1, size: 2 },
  Metadata: { name: 0, buffer: 1 },
  Conv2DOptions: { padding: 0, strideW: 1, strideH: 2, activation: 3, dilationW: 4, dilationH: 5 },
  DepthwiseConv2DOptions: {
    padding: 0,
    strideW: 1,
    strideH: 2,
    depthMultiplier: 3,
    activation: 4,
    dilationW: 5,
    dilationH: 6,
  },
  FullyConnectedOptions: { activation: 0, weightsFormat: 1, keepNumDims: 2 },
  ReducerOptions: { keepDims: 0 },
} as const;

/** `union BuiltinOptions` type tags (1-based; 0 is NONE). */
export const BuiltinOptionsType = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  FullyConnectedOptions: 8,
  ReducerOptions: 27,
} as const;

export enum TensorType {
  FLOAT32 = 0,
  FLOAT16 = 1,
  INT32 = 2,
  UINT8 = 3,
  INT64 = 4,
  STRING = 5,
  BOOL = 6,
  INT16 = 7,
  COMPLEX64 = 8,
  INT8 = 9,
  FLOAT64 = 10,
}

/** Bytes per element of the numeric tensor types. */
export const TENSOR_TYPE_BYTES: Partial<Record<TensorType, number>> = {
  [TensorType.FLOAT32]: 4,
  [TensorType.FLOAT16]: 2,
  [TensorType.INT32]: 4,
  [TensorType.UINT8]: 1,
  [TensorType.INT64]: 8,
  [TensorType.BOOL]: 1,
  [TensorType.INT16]: 2,
  [TensorType.COMPLEX64]: 8,
  [TensorType.INT8]: 1,
  [TensorType.FLOAT64]: 8,
};

/** The builtin operators the YAMNet importer cares about (the rest are named by number). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  PAD: 34,
  MEAN: 40,
  SQUEEZE: 43,
  STRIDED_SLICE: 45,
  LOG: 73,
  QUANTIZE: 114,
  /** Codes at or above this value live only in OperatorCode.builtin_code (deprecated_builtin_code is a byte). */
  PLACEHOLDER_FOR_GREATER_OP_CODES: 127,
} as const;

const OPERATOR_NAMES = new Map<number, string>(Object.entries(BuiltinOperator).map(([k, v]) => [v, k]));

export function operatorName(code: number): string {
  return OPERATOR_NAMES.get(code) ?? `BUILTIN_${code}`;
}

export enum Padding {
  SAME = 0,
  VALID = 1,
}

export enum ActivationFunction {
  NONE = 0,
  RELU = 1,
  RELU_N1_TO_1 = 2,
  RELU6 = 3,
  TANH = 4,
  SIGN_BIT = 5,
}
