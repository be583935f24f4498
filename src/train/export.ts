import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * Quantizes a layers model's weights the way TF.js's converter does with `--quantize_uint8`
 * (value = min + scale · q, q ∈ 0..255, one (min, scale) per tensor), for kernels; biases and batch-norm
 * vectors (well under 1 % of the parameters, and sensitive: a variance rounded to 0 breaks a layer) stay
 * float32. tfjs-core's io.decodeWeights dequantizes at load.
 */
export function quantizeValues(values: Float32Array): { q: Uint8Array; min: number; scale: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 0;
  }
  const scale = max > min ? (max - min) / 255 : 1;
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.round((values[i] - min) / scale);
  return { q, min, scale };
}

/** Trainable kernels are quantized; a frozen layer (YAMNet's own classifier inside the evidence head) is kept exact. */
function isQuantized(name: string, shape: number[], trainable = true): boolean {
  return trainable && /kernel/.test(name) && shape.length >= 2;
}

/**
 * Replaces the model's kernels by their uint8-quantized values (so training-time evaluation sees exactly
 * what the exported model computes).
 */
export function applyQuantization(model: tfl.LayersModel): void {
  const weights = model.weights;
  const values = model.getWeights();
  const next = values.map((t, i) => {
    if (!isQuantized(weights[i].originalName ?? weights[i].name, t.shape, weights[i].trainable))
      return t.clone();
    const { q, min, scale } = quantizeValues(t.dataSync() as Float32Array);
    // same arithmetic as tfjs-core's io.decodeWeights: Float32Array of q * scale + min
    const deq = new Float32Array(q.length);
    for (let j = 0; j < q.length; j++) deq[j] = q[j] * scale + min;
    return tf.tensor(deq, t.shape);
  });
  model.setWeights(next);
  tf.dispose(next);
}

/**
 * Writes `model.json` + `weights.bin` (uint8 kernels, float32 vectors; every weight float32 with `quantize: false`)
 * into `dir`. Returns bytes written.
 */
export async function saveQuantizedModel(
  model: tfl.LayersModel,
  dir: string,
  { quantize = true }: { quantize?: boolean } = {},
): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let topology: unknown = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      topology = artifacts.modelTopology;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  const weights = model.weights;
  const frozen = new Set(model.nonTrainableWeights.map((w) => w.name));
  model.getWeights().forEach((t, i) => {
    const name = weights[i].originalName ?? weights[i].name;
    const values = t.dataSync() as Float32Array;
    if (quantize && isQuantized(name, t.shape, !frozen.has(weights[i].name))) {
      const { q, min, scale } = quantizeValues(values);
      specs.push({
        name,
        shape: t.shape,
        dtype: "float32",
        quantization: { dtype: "uint8", min, scale, original_dtype: "float32" },
      } as tf.io.WeightsManifestEntry);
      parts.push(q);
    } else {
      specs.push({ name, shape: t.shape, dtype: "float32" });
      parts.push(
        new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
      );
    }
  });
  const bin = Buffer.concat(parts);
  writeFileSync(join(dir, "weights.bin"), bin);
  const modelJson = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: `babymon train-export (${quantize ? "uint8 kernels" : "float32"})`,
    modelTopology: topology,
    weightsManifest: [{ paths: ["weights.bin"], weights: specs }],
  };
  const json = JSON.stringify(modelJson);
  writeFileSync(join(dir, "model.json"), json);
  return bin.length + json.length;
}
