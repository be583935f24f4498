/** What importing a YAMNet TFLite file produces (yamnet-import.ts) and the store writes (yamnet-store.ts). */

/** YAMNet's architecture (MobileNet v1): 27 conv layers numbered from 1, stride 2 at these. */
export const YAMNET_CONV_LAYERS = 27;
export const YAMNET_STRIDE2_LAYERS: readonly number[] = [1, 4, 8, 12, 24];
export const YAMNET_EMBEDDING_SIZE = 1024;
export const YAMNET_CLASSES = 521;

/** A file that is readable TFLite but not a YAMNet we can import, or has the wrong checksum. */
export class YamnetImportError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: cannot import as YAMNet: ${problem}`);
    this.name = "YamnetImportError";
  }
}

export type LayerOp = "conv2d" | "depthwise" | "dense";
export type LayerActivation = "linear" | "relu" | "relu6";

/**
 * A layer's weights in TF.js layout (conv HWIO, depthwise HWC1, dense [in,out]). Quantized kernels keep
 * their int8 values; `scales` has one entry (per tensor) or one per output channel, which is always the
 * fastest-varying index of the TF.js layout, so value i has scale `scales[i % scales.length]`.
 */
export type LayerKernel =
  | { quantization: "float32"; values: Float32Array }
  | { quantization: "int8-per-tensor" | "int8-per-channel"; values: Int8Array; scales: Float32Array };

export interface ImportedLayer {
  /** 1-based: layers 1..27 are the conv stack, 28 is the dense classifier. */
  index: number;
  op: LayerOp;
  /** Index of the TFLite operator this layer came from. */
  tfliteOperator: number;
  kernelShape: number[];
  stride: number;
  padding: "same" | "valid";
  activation: LayerActivation;
  kernel: LayerKernel;
  bias: Float32Array;
  /** Output shape for one patch: [h, w, c] for conv layers, [classes] for dense. */
  outputShape: number[];
}

export interface ImportedYamnet {
  source: { file: string; sha256: string; bytes: number };
  layers: ImportedLayer[];
  /** Quantization of the conv stack's input in fully-integer files (informational: we feed float log-mel). */
  inputQuantization: { scale: number; zeroPoint: number } | null;
}
