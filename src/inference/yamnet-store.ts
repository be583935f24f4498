import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { sha256Hex } from "../util/sha256.js";
import { readPackageVersion } from "../version.js";
import type { ImportedLayer, ImportedYamnet } from "./yamnet-layers.js";

/**
 * On-disk form of an imported YAMNet: `manifest.json` (provenance, layer table, frontend parameters) and
 * `weights.bin` (per layer: kernel as int8 or float32 in TF.js layout, float32 scales for int8 kernels,
 * float32 bias; each block 4-byte aligned, little-endian). Weights stay quantized; the runtime dequantizes.
 */
export const MANIFEST_FILE = "manifest.json";
const WEIGHTS_FILE = "weights.bin";
export const CLASS_MAP_FILE = "yamnet_class_map.csv";
export const MANIFEST_FORMAT = "babymon-yamnet";
export const MANIFEST_FORMAT_VERSION = 1;

const block = z.object({ offset: z.number().int().min(0), length: z.number().int().min(0) });

const layerSchema = z.object({
  index: z.number().int().min(1),
  op: z.enum(["conv2d", "depthwise", "dense"]),
  tfliteOperator: z.number().int().min(0),
  kernelShape: z.array(z.number().int().min(1)),
  stride: z.number().int().min(1),
  padding: z.enum(["same", "valid"]),
  activation: z.enum(["linear", "relu", "relu6"]),
  quantization: z.enum(["int8-per-tensor", "int8-per-channel", "float32"]),
  outputShape: z.array(z.number().int().min(1)),
  /** Kernel values: `length` elements of int8 (quantized) or float32 at byte `offset` of weights.bin. */
  kernel: block,
  /** float32 scales of an int8 kernel (1 or one per output channel). */
  scales: block.nullable(),
  bias: block,
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  babymonVersion: z.string(),
  created: z.string(),
  source: z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int() }),
  frontend: z.record(z.string(), z.number()),
  input: z.object({
    frames: z.number().int(),
    bands: z.number().int(),
    quantization: z.object({ scale: z.number(), zeroPoint: z.number() }).nullable(),
  }),
  embeddingSize: z.number().int(),
  classes: z.number().int(),
  classMap: z.object({ file: z.string(), sha256: z.string() }).nullable(),
  weights: z.object({ file: z.string(), sha256: z.string(), bytes: z.number().int() }),
  layers: z.array(layerSchema).min(2),
});

export type YamnetManifest = z.infer<typeof manifestSchema>;
export type ManifestLayer = z.infer<typeof layerSchema>;

export class YamnetModelFolderError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: string,
  ) {
    super(`YAMNet model folder ${dir}: ${problem}`);
    this.name = "YamnetModelFolderError";
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Serialises the imported layers into weights.bin bytes and the manifest's layer table. */
export function encodeWeights(layers: ImportedLayer[]): { bytes: Uint8Array; table: ManifestLayer[] } {
  let size = 0;
  for (const l of layers) {
    const k = l.kernel;
    size += align4(k.quantization === "float32" ? k.values.length * 4 : k.values.length);
    if (k.quantization !== "float32") size += k.scales.length * 4;
    size += l.bias.length * 4;
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let pos = 0;
  const putFloats = (values: Float32Array) => {
    const offset = pos;
    for (let i = 0; i < values.length; i++, pos += 4) view.setFloat32(pos, values[i]!, true);
    return { offset, length: values.length };
  };
  const table = layers.map((l): ManifestLayer => {
    const k = l.kernel;
    let kernel: { offset: number; length: number };
    let scales: { offset: number; length: number } | null = null;
    if (k.quantization === "float32") {
      kernel = putFloats(k.values);
    } else {
      kernel = { offset: pos, length: k.values.length };
      bytes.set(new Uint8Array(k.values.buffer, k.values.byteOffset, k.values.length), pos);
      pos = align4(pos + k.values.length);
      scales = putFloats(k.scales);
    }
    const bias = putFloats(l.bias);
    return {
      index: l.index,
      op: l.op,
      tfliteOperator: l.tfliteOperator,
      kernelShape: l.kernelShape,
      stride: l.stride,
      padding: l.padding,
      activation: l.activation,
      quantization: k.quantization,
      outputShape: l.outputShape,
      kernel,
      scales,
      bias,
    };
  });
  return { bytes, table };
}

export interface WrittenModel {
  manifest: YamnetManifest;
  /** Bytes of manifest + weights + class map. */
  bytesOnDisk: number;
}

/** Writes the model folder (atomically per file: write to .tmp, then rename). */
export function writeYamnetModel(
  model: ImportedYamnet,
  dir: string,
  classMapCsv: Uint8Array | null,
): WrittenModel {
  mkdirSync(dir, { recursive: true });
  const { bytes, table } = encodeWeights(model.layers);
  const last = model.layers[model.layers.length - 2]!;
  const manifest: YamnetManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    babymonVersion: readPackageVersion(),
    created: new Date().toISOString(),
    source: model.source,
    frontend: { ...YAMNET_FRONTEND },
    input: {
      frames: YAMNET_FRONTEND.patchFrames,
      bands: YAMNET_FRONTEND.melBands,
      quantization: model.inputQuantization,
    },
    embeddingSize: last.outputShape[2]!,
    classes: model.layers[model.layers.length - 1]!.outputShape[0]!,
    classMap: classMapCsv ? { file: CLASS_MAP_FILE, sha256: sha256Hex(classMapCsv) } : null,
    weights: { file: WEIGHTS_FILE, sha256: sha256Hex(bytes), bytes: bytes.length },
    layers: table,
  };
  const put = (name: string, data: Uint8Array | string) => {
    const tmp = join(dir, `${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, name));
  };
  put(WEIGHTS_FILE, bytes);
  if (classMapCsv) put(CLASS_MAP_FILE, classMapCsv);
  // The manifest goes last: a folder with a manifest is complete.
  put(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, bytesOnDisk: modelFolderBytes(dir, manifest) };
}

export function modelFolderBytes(dir: string, manifest: YamnetManifest): number {
  const files = [
    MANIFEST_FILE,
    manifest.weights.file,
    ...(manifest.classMap ? [manifest.classMap.file] : []),
  ];
  return files.reduce((sum, f) => sum + (existsSync(join(dir, f)) ? statSync(join(dir, f)).size : 0), 0);
}

/** Reads and validates manifest.json; null when the folder has none. */
export function readManifest(dir: string): YamnetManifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new YamnetModelFolderError(dir, `${MANIFEST_FILE} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new YamnetModelFolderError(
      dir,
      `${MANIFEST_FILE} does not match format ${MANIFEST_FORMAT} v${MANIFEST_FORMAT_VERSION}: ${issue.path.join(".")}: ${issue.message} (rebuild it with \`npm run models -- --force\`)`,
    );
  }
  return parsed.data;
}

/** Reads weights.bin and checks its size and sha256 against the manifest. */
export function readWeights(dir: string, manifest: YamnetManifest): Uint8Array {
  const path = join(dir, manifest.weights.file);
  if (!existsSync(path))
    throw new YamnetModelFolderError(dir, `${manifest.weights.file} is missing (run \`npm run models\`)`);
  const bytes: Uint8Array = readFileSync(path);
  if (bytes.length !== manifest.weights.bytes) {
    throw new YamnetModelFolderError(
      dir,
      `${manifest.weights.file} has ${bytes.length} bytes, the manifest says ${manifest.weights.bytes} (run \`npm run models\`)`,
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== manifest.weights.sha256) {
    throw new YamnetModelFolderError(
      dir,
      `${manifest.weights.file} sha256 is ${actual}, the manifest says ${manifest.weights.sha256}`,
    );
  }
  return bytes;
}

/** Dequantized kernel of one layer (float32, TF.js layout), read from weights.bin. */
export function dequantizeKernel(
  weights: Uint8Array,
  layer: ManifestLayer,
  scratch?: Float32Array,
): Float32Array {
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  const out =
    scratch && scratch.length >= layer.kernel.length
      ? scratch.subarray(0, layer.kernel.length)
      : new Float32Array(layer.kernel.length);
  const check = (b: { offset: number; length: number }, bytesPer: number, what: string) => {
    if (b.offset + b.length * bytesPer > weights.byteLength) {
      throw new Error(`layer ${layer.index} ${what} lies outside weights.bin`);
    }
  };
  if (layer.quantization === "float32") {
    check(layer.kernel, 4, "kernel");
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(layer.kernel.offset + 4 * i, true);
    return out;
  }
  if (!layer.scales) throw new Error(`layer ${layer.index} is ${layer.quantization} but has no scales`);
  check(layer.kernel, 1, "kernel");
  check(layer.scales, 4, "scales");
  const scales = readFloats(weights, layer.scales);
  const q = new Int8Array(weights.buffer, weights.byteOffset + layer.kernel.offset, layer.kernel.length);
  const n = scales.length;
  if (n === 1) {
    const s = scales[0]!;
    for (let i = 0; i < out.length; i++) out[i] = q[i]! * s;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = q[i]! * scales[i % n]!;
  }
  return out;
}

export function readFloats(weights: Uint8Array, b: { offset: number; length: number }): Float32Array {
  if (b.offset + 4 * b.length > weights.byteLength) {
    throw new Error(`float block at byte ${b.offset} (${b.length} values) lies outside weights.bin`);
  }
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  const out = new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = view.getFloat32(b.offset + 4 * i, true);
  return out;
}
