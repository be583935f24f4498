import { basename } from "node:path";
import { sha256Hex } from "../util/sha256.js";
import { readTflite } from "./tflite/reader.js";
import { TensorType } from "./tflite/schema.js";
import { GraphWalker } from "./yamnet-graph.js";
import { type ImportedYamnet, YamnetImportError } from "./yamnet-layers.js";

/** The YAMNet TFLite files babymon knows by name, with the sha256 they must have. */
const KNOWN_YAMNET_FILES: Readonly<Record<string, string>> = {
  "yamnet-frames-dynamic-int8.tflite": "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194",
  "yamnet-classifier-int8.tflite": "10c95ea3eb9a7bb4cb8bddf6feb023250381008177ac162ce169694d05c317de",
};

/**
 * Reads a YAMNet TFLite file and extracts the conv stack and the dense classifier, following the operator
 * graph from the first convolution over a 96×64×1 patch. `file` is the path used in messages and for the
 * known-name sha256 check.
 */
export function importYamnetTflite(bytes: Uint8Array, file: string): ImportedYamnet {
  const sha256 = sha256Hex(bytes);
  const name = basename(file);
  const expected = KNOWN_YAMNET_FILES[name];
  if (expected !== undefined && expected !== sha256) {
    throw new YamnetImportError(
      file,
      `sha256 is ${sha256}, expected ${expected} for ${name} (the file is damaged or not the published one)`,
    );
  }
  const model = readTflite(bytes, file);
  const layers = new GraphWalker(model, file).walk();
  const first = model.subgraphs[0]!.tensors[layers.inputTensor]!;
  const q = first.quantization;
  return {
    source: { file: name, sha256, bytes: bytes.length },
    layers: layers.layers,
    inputQuantization:
      q && first.type !== TensorType.FLOAT32 ? { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! } : null,
  };
}
