import type { ActivationFunction, Padding, TensorType } from "./schema.js";

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

/** A parsed TFLite file, as readTflite returns it. */
export interface TfliteModel {
  file: string;
  version: number;
  description: string;
  subgraphs: TfliteSubgraph[];
  /** Raw bytes of each buffer (views into the file). */
  buffers: Uint8Array[];
  metadataNames: string[];
}

/** The data of a constant tensor, or null for an activation tensor (empty buffer). */
export function constantData(model: TfliteModel, tensor: TfliteTensor): Uint8Array | null {
  const data = model.buffers[tensor.buffer];
  return data && data.length > 0 ? data : null;
}
