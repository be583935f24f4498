import { join } from "node:path";
import type * as TF from "@tensorflow/tfjs-core";
import { PATCH_SIZE, YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { PROJECT_ROOT } from "../version.js";
import { activeBackend, type BackendPreference, selectBackend, tf } from "./backend.js";
import type { YamnetOutput } from "./types.js";
import {
  dequantizeKernel,
  type ManifestLayer,
  readFloats,
  readManifest,
  readWeights,
  type YamnetManifest,
  YamnetModelFolderError,
} from "./yamnet-store.js";

/** Where `npm run models` puts the default (dynamic-int8) YAMNet. */
export const DEFAULT_YAMNET_DIR = join(PROJECT_ROOT, "models", "yamnet");

/** Patches per forward pass; larger inputs are split. */
export const MAX_BATCH = 16;

export interface PredictOptions {
  /**
   * Conv layers (1..27, see `YamnetModel.layerShapes`) whose output feature maps to return, e.g. 13 → 6×4×512,
   * 9 → 12×8×256.
   */
  featureLayers?: number[];
  /** also return the 521 class logits (before the sigmoid) */
  logits?: boolean;
}

export interface LoadOptions {
  /** Backend to activate when none is active yet (default "auto"). */
  backend?: BackendPreference;
  log?: (line: string) => void;
}

interface RuntimeLayer {
  meta: ManifestLayer;
  kernel: TF.Tensor;
  bias: TF.Tensor1D;
}

/**
 * YAMNet's conv stack and classifier on TF.js, from a model folder written by `npm run models`.
 * Input: log-mel patches of 96 frames × 64 bands (row-major, frames × bands), as src/dsp/logmel.ts makes.
 * Output per patch: 521 sigmoid scores, the 1024-d embedding (global average pool of layer 27), and any
 * requested intermediate feature maps.
 *
 * Layer numbering (1-based, as in the manifest): 1 conv 3×3/2 → 48×32×32; even layers are depthwise 3×3,
 * odd layers ≥ 3 pointwise 1×1. Output shapes [h, w, c]:
 *   1–2: 48×32×32, 3: 48×32×64, 4: 24×16×64, 5–7: 24×16×128, 8: 12×8×128, 9–11: 12×8×256,
 *   12: 6×4×256, 13–23: 6×4×512, 24: 3×2×512, 25–27: 3×2×1024; 28 is the dense classifier.
 */
export class YamnetModel {
  private disposed = false;
  private readonly inputBuffer = new Float32Array(MAX_BATCH * PATCH_SIZE);
  private readonly shapes: Record<number, [number, number, number]> = {};

  private constructor(
    readonly dir: string,
    readonly manifest: YamnetManifest,
    private readonly layers: RuntimeLayer[],
    private readonly dense: RuntimeLayer,
    /** TF.js backend in use (e.g. "wasm"). */
    readonly backend: string,
    /** Milliseconds spent reading and dequantizing the weights. */
    readonly loadMs: number,
  ) {
    for (const l of layers) this.shapes[l.meta.index] = l.meta.outputShape as [number, number, number];
  }

  static async load(dir: string = DEFAULT_YAMNET_DIR, options: LoadOptions = {}): Promise<YamnetModel> {
    if (!activeBackend() || options.backend) await selectBackend(options.backend ?? "auto", options.log);
    const t0 = performance.now();
    const manifest = readManifest(dir);
    if (!manifest) {
      throw new YamnetModelFolderError(dir, "no manifest.json: build the model with `npm run models` first");
    }
    checkManifest(dir, manifest);
    const weights = readWeights(dir, manifest);
    // The wasm backend copies tensor data into its heap, so one scratch buffer serves every layer there;
    // cpu and tfjs-node keep a reference to the array they are given.
    const scratch =
      tf.getBackend() === "wasm"
        ? new Float32Array(Math.max(...manifest.layers.map((l) => l.kernel.length)))
        : undefined;
    const runtime = manifest.layers.map((meta): RuntimeLayer => {
      const values = dequantizeKernel(weights, meta, scratch);
      const kernel = tf.tensor(values, meta.kernelShape, "float32");
      return { meta, kernel, bias: tf.tensor1d(readFloats(weights, meta.bias), "float32") };
    });
    const dense = runtime.pop()!;
    return new YamnetModel(dir, manifest, runtime, dense, tf.getBackend(), performance.now() - t0);
  }

  /** Output shape [h, w, c] of each conv layer, by 1-based layer index. */
  get layerShapes(): Readonly<Record<number, [number, number, number]>> {
    return this.shapes;
  }

  get convLayerCount(): number {
    return this.layers.length;
  }

  /**
   * Runs YAMNet on log-mel patches (each 96×64, row-major frames × bands), in batches of up to MAX_BATCH.
   * The arrays in the outputs of one batch are views into shared buffers: `slice()` one to keep it alone.
   */
  predict(patches: Float32Array[], opts: PredictOptions = {}): YamnetOutput[] {
    if (this.disposed) throw new Error("YamnetModel.predict called after dispose()");
    const featureLayers = opts.featureLayers ?? [];
    for (const f of featureLayers) {
      if (!Number.isInteger(f) || f < 1 || f > this.layers.length) {
        throw new RangeError(
          `Expected \`featureLayers\` entries to be integers between 1 and ${this.layers.length}, got ${f}`,
        );
      }
    }
    patches.forEach((p, i) => {
      if (!(p instanceof Float32Array) || p.length !== PATCH_SIZE) {
        throw new RangeError(
          `Expected patch ${i} to be a Float32Array of ${PATCH_SIZE} values (${YAMNET_FRONTEND.patchFrames} frames × ${YAMNET_FRONTEND.melBands} bands), got ${p?.length ?? typeof p}`,
        );
      }
    });
    const out: YamnetOutput[] = [];
    for (let start = 0; start < patches.length; start += MAX_BATCH) {
      out.push(
        ...this.predictBatch(patches.slice(start, start + MAX_BATCH), featureLayers, opts.logits === true),
      );
    }
    return out;
  }

  /**
   * YAMNet's 521 class scores (sigmoid) of embeddings already computed (n × 1024, e.g. from the training cache):
   * the same dense layer predict() ends with.
   */
  scoresOfEmbeddings(embeddings: Float32Array, n: number): Float32Array {
    if (this.disposed) throw new Error("YamnetModel.scoresOfEmbeddings called after dispose()");
    const dims = (this.dense.kernel as TF.Tensor2D).shape[0];
    if (embeddings.length !== n * dims) {
      throw new RangeError(
        `Expected ${n} embeddings of ${dims} values (${n * dims}), got ${embeddings.length}`,
      );
    }
    const scores = tf.tidy(() =>
      tf.sigmoid(
        tf.fused.matMul({
          a: tf.tensor2d(embeddings, [n, dims]),
          b: this.dense.kernel as TF.Tensor2D,
          bias: this.dense.bias,
          activation: this.dense.meta.activation,
        }),
      ),
    );
    try {
      return scores.dataSync() as Float32Array;
    } finally {
      scores.dispose();
    }
  }

  private predictBatch(patches: Float32Array[], featureLayers: number[], withLogits = false): YamnetOutput[] {
    const n = patches.length;
    if (n === 0) return [];
    // One input buffer for every call: backends copy it or drop their reference when the tensor is disposed.
    const input = this.inputBuffer.subarray(0, n * PATCH_SIZE);
    for (const [i, p] of patches.entries()) input.set(p, i * PATCH_SIZE);
    const wanted = new Set(featureLayers);
    const { scores, embedding, features, logits } = tf.tidy(() => {
      let x: TF.Tensor4D = tf.tensor4d(input, [n, YAMNET_FRONTEND.patchFrames, YAMNET_FRONTEND.melBands, 1]);
      // tidy keeps returned tensors found in plain objects/arrays (not Maps).
      const features: Record<number, TF.Tensor4D> = {};
      let keep = false;
      for (const { meta, kernel, bias } of this.layers) {
        const args = {
          x,
          strides: meta.stride,
          pad: meta.padding,
          bias,
          activation: meta.activation,
        } as const;
        const y =
          meta.op === "depthwise"
            ? tf.fused.depthwiseConv2d({ ...args, filter: kernel as TF.Tensor4D })
            : tf.fused.conv2d({ ...args, filter: kernel as TF.Tensor4D });
        // Free each activation once consumed (tidy alone would hold all 27 until the end: ~20 MB at batch 8).
        if (!keep) x.dispose();
        x = y;
        keep = wanted.has(meta.index);
        if (keep) features[meta.index] = x;
      }
      const embedding = tf.mean(x, [1, 2]) as TF.Tensor2D;
      if (!keep) x.dispose();
      const logits = tf.fused.matMul({
        a: embedding,
        b: this.dense.kernel as TF.Tensor2D,
        bias: this.dense.bias,
        activation: this.dense.meta.activation,
      });
      return { scores: tf.sigmoid(logits), embedding, features, logits };
    });
    try {
      const scoreData = scores.dataSync() as Float32Array;
      const embData = embedding.dataSync() as Float32Array;
      const logitData = withLogits ? (logits.dataSync() as Float32Array) : null;
      const featData = new Map(
        Object.entries(features).map(([k, t]) => [Number(k), t.dataSync() as Float32Array]),
      );
      const classes = scores.shape[1]!;
      const dims = embedding.shape[1]!;
      return patches.map((_, i) => {
        const result: YamnetOutput = {
          // Views into the batch's arrays (already copies out of the backend): no second copy.
          scores: scoreData.subarray(i * classes, (i + 1) * classes),
          embedding: embData.subarray(i * dims, (i + 1) * dims),
        };
        if (logitData) result.logits = logitData.subarray(i * classes, (i + 1) * classes);
        if (featData.size > 0) {
          result.featureMaps = {};
          for (const [layer, data] of featData) {
            const shape = this.shapes[layer]!;
            const size = shape[0] * shape[1] * shape[2];
            result.featureMaps[layer] = { data: data.subarray(i * size, (i + 1) * size), shape };
          }
        }
        return result;
      });
    } finally {
      scores.dispose();
      embedding.dispose();
      logits.dispose();
      for (const t of Object.values(features)) t.dispose();
    }
  }

  /** Frees the weight tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of [...this.layers, this.dense]) {
      l.kernel.dispose();
      l.bias.dispose();
    }
  }
}

function checkManifest(dir: string, m: YamnetManifest): void {
  const fail = (problem: string): never => {
    throw new YamnetModelFolderError(dir, problem);
  };
  const last = m.layers[m.layers.length - 1]!;
  if (last.op !== "dense") fail(`the last layer is ${last.op}, expected the dense classifier`);
  if (m.layers.slice(0, -1).some((l) => l.op === "dense")) fail("a dense layer sits inside the conv stack");
  if (m.input.frames !== YAMNET_FRONTEND.patchFrames || m.input.bands !== YAMNET_FRONTEND.melBands) {
    fail(
      `the model takes ${m.input.frames}×${m.input.bands} patches, the frontend makes ${YAMNET_FRONTEND.patchFrames}×${YAMNET_FRONTEND.melBands}`,
    );
  }
  for (const [key, value] of Object.entries(YAMNET_FRONTEND)) {
    if (m.frontend[key] !== value)
      fail(`frontend parameter ${key} is ${m.frontend[key]}, this build uses ${value}`);
  }
  m.layers.forEach((l, i) => {
    if (l.index !== i + 1) fail(`layer ${i + 1} is numbered ${l.index}`);
    const size = l.kernelShape.reduce((a, b) => a * b, 1);
    if (size !== l.kernel.length)
      fail(`layer ${l.index} kernel has ${l.kernel.length} values for shape [${l.kernelShape}]`);
  });
}
