import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { z } from "zod";
import { REASONS, type ReasonProbabilities, reasonProbabilities } from "../events.js";
import { HeadsModelError } from "./heads-error.js";
import { readManifestFile } from "./manifest-file.js";
import type { HeadPrediction, YamnetOutput } from "./types.js";
import "./head-layers.js";

/**
 * The trained heads (`npm run train-export` → models/<name>/): a YAMNet-embedding FC head and a
 * MobileNetV3 head on an intermediate YAMNet feature map, each with a cry logit and five reason logits,
 * combined and calibrated with the weights in manifest.json (chosen on validation data).
 */

export const HEADS_MANIFEST_FORMAT = "babymon-heads";
export const HEADS_MANIFEST_VERSION = 1;

/** YAMNet's AudioSet classes. */
export const YAMNET_CLASS_COUNT = 521;

export const combinationSchema = z.object({
  /** cry logit = w·fc + (1 − w)·mnv3; probability = sigmoid(scale · logit + bias) (Platt scaling) */
  cry: z.object({
    fcWeight: z.number().min(0).max(1),
    scale: z.number(),
    bias: z.number(),
    /**
     * optional YAMNet evidence: weights on YAMNet's 521 AudioSet class logits, added to the calibrated cry logit
     * (a stacked logistic regression fitted on out-of-fold predictions: what YAMNet recognises — sheep, a creaking
     * door, laughter — can overrule a head that has never heard that source)
     */
    yamnet: z.array(z.number()).length(YAMNET_CLASS_COUNT).optional(),
  }),
  /**
   * reason logits = w·fc + (1 − w)·mnv3; probabilities = softmax(logits / temperature + bias): temperature and
   * per-reason bias fitted on validation data, so the probabilities are calibrated to the training labels' frequencies
   */
  reason: z.object({
    fcWeight: z.number().min(0).max(1),
    temperature: z.number().positive(),
    bias: z.array(z.number()).length(REASONS.length),
  }),
});
export type Combination = z.infer<typeof combinationSchema>;

const headDirs = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((d) => (typeof d === "string" ? [d] : d));

/** Folders of an ensemble of `n` heads of one kind: `fc`, `fc-2`, … (a single head is just `fc`). */
export function ensembleDirs(kind: "fc" | "mnv3", n: number): string[] {
  return Array.from({ length: n }, (_, m) => (m === 0 ? kind : `${kind}-${m + 1}`));
}

export const headsManifestSchema = z
  .object({
    format: z.literal(HEADS_MANIFEST_FORMAT),
    formatVersion: z.literal(HEADS_MANIFEST_VERSION),
    name: z.string(),
    version: z.string(),
    labels: z.object({ reasons: z.array(z.string()), nonCry: z.array(z.string()) }),
    yamnet: z.object({ sourceSha256: z.string().regex(/^[0-9a-f]{64}$/), sourceFile: z.string() }),
    frontend: z.record(z.string(), z.number()),
    bandLimitHz: z.number().min(0),
    /** the YAMNet feature map the MobileNetV3 heads read (absent for heads over the embedding alone) */
    featureLayer: z.number().int().min(1).optional(),
    featureShape: z.tuple([z.number().int(), z.number().int(), z.number().int()]).optional(),
    /**
     * each head's folder, or the folders of an ensemble whose members' logits are averaged; without `mnv3` the FC
     * heads alone give the logits (combination fcWeight 1) and YAMNet's embedding is all they need
     */
    heads: z.object({ fc: headDirs, mnv3: headDirs.optional() }),
    combination: combinationSchema,
    thresholds: z.object({
      cry: z.number().min(0).max(1),
      unsure: z.number().min(0).max(1),
      // The daemon's operating point (scripts/calibrate-episode.ts --cross-fit --write). An out-of-range value is
      // dropped, not fatal: the heads still load and the configured defaults apply.
      episode: z.number().min(0.01).max(0.999).optional().catch(undefined),
      onsetN: z.number().int().min(1).max(20).optional().catch(undefined),
      onsetStrong: z.number().min(0.01).max(1).optional().catch(undefined),
      yamnetSupport: z.number().min(0).max(1).optional().catch(undefined),
    }),
  })
  .passthrough()
  .refine((m) => !m.heads.mnv3 || (m.featureLayer !== undefined && m.featureShape !== undefined), {
    message: "is required with MobileNetV3 heads (`heads.mnv3`)",
    path: ["featureLayer"],
  })
  .refine((m) => m.heads.mnv3 || (m.combination.cry.fcWeight === 1 && m.combination.reason.fcWeight === 1), {
    message: "must be 1 without MobileNetV3 heads (`heads.mnv3`)",
    path: ["combination", "cry", "fcWeight"],
  });
export type HeadsManifest = z.infer<typeof headsManifestSchema>;

export { HeadsModelError } from "./heads-error.js";

export interface HeadLogits {
  fcCry: Float32Array;
  fcReason: Float32Array;
  mnCry: Float32Array;
  mnReason: Float32Array;
  /** YAMNet's class logits (n × 521, yamnetLogitsInto), needed when the combination has `cry.yamnet` weights */
  yamnetLogits?: Float32Array;
}

/**
 * YAMNet's class logits from its scores (the daemon has the sigmoid outputs), into `out` at `offset`. Scores are
 * clamped to [1e-6, 1 − 1e-6] first, so float32 rounding of a saturated score cannot make a logit infinite.
 */
export function yamnetLogitsInto(scores: ArrayLike<number>, out: Float32Array, offset: number): void {
  for (let k = 0; k < YAMNET_CLASS_COUNT; k++) {
    const s = Math.min(1 - 1e-6, Math.max(1e-6, scores[k]));
    out[offset + k] = Math.log(s / (1 - s));
  }
}

/** Σ_k w_k · logit_k of patch i (the YAMNet evidence term of the cry logit). */
export function yamnetEvidence(w: readonly number[], logits: Float32Array, i: number): number {
  let s = 0;
  const base = i * YAMNET_CLASS_COUNT;
  for (let k = 0; k < YAMNET_CLASS_COUNT; k++) s += w[k] * logits[base + k];
  return s;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * The combination rule, shared by training (to choose and evaluate the weights) and the daemon. Logits of
 * n patches in, calibrated probabilities out.
 */
export function combineLogits(l: HeadLogits, c: Combination): { cry: Float64Array; reasons: Float64Array } {
  const n = l.fcCry.length;
  const k = REASONS.length;
  const cry = new Float64Array(n);
  const reasons = new Float64Array(n * k);
  const wc = c.cry.fcWeight;
  const wr = c.reason.fcWeight;
  const evidence = c.cry.yamnet;
  if (evidence && l.yamnetLogits?.length !== n * YAMNET_CLASS_COUNT) {
    throw new RangeError(
      `Expected YAMNet class logits for ${n} patches (the combination weighs YAMNet's evidence), got ${l.yamnetLogits ? l.yamnetLogits.length / YAMNET_CLASS_COUNT : "none"}`,
    );
  }
  for (let i = 0; i < n; i++) {
    const z = wc * l.fcCry[i] + (1 - wc) * l.mnCry[i];
    const e = evidence ? yamnetEvidence(evidence, l.yamnetLogits!, i) : 0;
    cry[i] = sigmoid(c.cry.scale * z + c.cry.bias + e);
    let max = Number.NEGATIVE_INFINITY;
    const row = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      row[j] =
        (wr * l.fcReason[i * k + j] + (1 - wr) * l.mnReason[i * k + j]) / c.reason.temperature +
        c.reason.bias[j];
      max = Math.max(max, row[j]);
    }
    let sum = 0;
    for (let j = 0; j < k; j++) {
      row[j] = Math.exp(row[j] - max);
      sum += row[j];
    }
    for (let j = 0; j < k; j++) reasons[i * k + j] = row[j] / sum;
  }
  return { cry, reasons };
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes of one weight in its file: its element count times the stored (quantized, if so) dtype's size. */
function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const count = w.shape.reduce((n, d) => n * d, 1);
  const dtype = w.quantization?.dtype ?? w.dtype;
  const size = DTYPE_BYTES[dtype];
  if (!size) throw new Error(`weight ${w.name}: unknown dtype ${dtype}`);
  return count * size;
}

/** Reads a TF.js layers model (model.json + weight files, uint8-quantized weights allowed) from a folder. */
export async function loadLayersModelFromDir(dir: string): Promise<tfl.LayersModel> {
  const modelJson = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    specs.push(...group.weights);
    const files = group.paths.map((p) => join(dir, p));
    const read = files.map((f) => readFileSync(f));
    const expected = group.weights.reduce((n, w) => n + weightBytes(w), 0);
    const actual = read.reduce((n, b) => n + b.length, 0);
    if (actual !== expected) {
      throw new Error(
        `${files.join(" + ")}: expected ${expected} bytes (the weights ${join(dir, "model.json")} lists), got ${actual}${actual < expected ? " (truncated?)" : ""}`,
      );
    }
    buffers.push(...read);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }),
  );
}

export class Heads {
  private constructor(
    readonly dir: string,
    readonly manifest: HeadsManifest,
    private readonly fc: tfl.LayersModel[],
    private readonly mnv3: tfl.LayersModel[],
    /** loaded with `reasonsOnly`: a kind the reasons weigh 0 is missing, so the cry combination cannot be made */
    private readonly reasonsOnly = false,
  ) {}

  /**
   * Loads models/<name>/ and refuses heads trained on another YAMNet than `yamnetSha256` (its TFLite source sha256).
   * `reasonsOnly`: only the ensemble members the reason combination weighs (not fc when `reason.fcWeight` is 0,
   * not mnv3 when it is 1); such heads give reasons(), not predict().
   */
  static async load(
    dir: string,
    yamnetSha256: string,
    options: { reasonsOnly?: boolean } = {},
  ): Promise<Heads> {
    const manifest = readManifestFile(dir, headsManifestSchema);
    if (manifest.yamnet.sourceSha256 !== yamnetSha256) {
      throw new HeadsModelError(
        dir,
        `they were trained on YAMNet ${manifest.yamnet.sourceFile} (sha256 ${manifest.yamnet.sourceSha256}), but the loaded YAMNet has sha256 ${yamnetSha256}; retrain with \`npm run train-export\` or use the matching YAMNet`,
      );
    }
    if (manifest.labels.reasons.join(",") !== REASONS.join(",")) {
      throw new HeadsModelError(
        dir,
        `expected reason labels ${REASONS.join(", ")}, got ${manifest.labels.reasons.join(", ")}`,
      );
    }
    const load = (sub: string) =>
      loadLayersModelFromDir(join(dir, sub)).catch((err: Error) => {
        throw new HeadsModelError(dir, err.message);
      });
    const w = manifest.combination.reason.fcWeight;
    const fc = await Promise.all(options.reasonsOnly && w === 0 ? [] : manifest.heads.fc.map(load));
    const mnv3 = await Promise.all(
      options.reasonsOnly && w === 1 ? [] : (manifest.heads.mnv3 ?? []).map(load),
    );
    return new Heads(dir, manifest, fc, mnv3, options.reasonsOnly === true);
  }

  /** `<name>@<version>` */
  get version(): string {
    return `${this.manifest.name}@${this.manifest.version}`;
  }

  /** YAMNet conv layers whose feature maps `predict` needs (pass them as `featureLayers`). */
  get featureLayers(): number[] {
    return this.manifest.featureLayer !== undefined && this.mnv3.length > 0
      ? [this.manifest.featureLayer]
      : [];
  }

  /** Low-pass (Hz) to apply to 16 kHz audio before the log-mel, as in training; 0 = none. */
  get bandLimitHz(): number {
    return this.manifest.bandLimitHz;
  }

  get thresholds(): HeadsManifest["thresholds"] {
    return this.manifest.thresholds;
  }

  /** Raw logits of both heads for YAMNet outputs (each needs its embedding and featureMaps[featureLayer]). */
  logits(outputs: YamnetOutput[]): HeadLogits {
    const n = outputs.length;
    const withMaps = this.mnv3.length > 0;
    const withFc = this.fc.length > 0;
    const layer = this.manifest.featureLayer ?? 0;
    const [h, w, c] = this.manifest.featureShape ?? [0, 0, 0];
    const size = h * w * c;
    const emb = new Float32Array(n * 1024);
    const maps = new Float32Array(n * size);
    outputs.forEach((o, i) => {
      if (withFc && o.embedding.length !== 1024) {
        throw new RangeError(`Expected output ${i} to have a 1024-d embedding, got ${o.embedding.length}`);
      }
      if (withFc) emb.set(o.embedding, i * 1024);
      if (!withMaps) return;
      const map = o.featureMaps?.[layer];
      if (!map || map.data.length !== size) {
        throw new RangeError(
          `Expected output ${i} to carry featureMaps[${layer}] of shape [${h}, ${w}, ${c}] (call YAMNet with featureLayers: [${layer}]), got ${map ? `[${map.shape.join(", ")}]` : "none"}`,
        );
      }
      maps.set(map.data, i * size);
    });
    let yamnetLogits: Float32Array | undefined;
    if (this.manifest.combination.cry.yamnet) {
      yamnetLogits = new Float32Array(n * YAMNET_CLASS_COUNT);
      outputs.forEach((o, i) => {
        yamnetLogitsInto(o.scores, yamnetLogits!, i * YAMNET_CLASS_COUNT);
      });
    }
    // an ensemble's logits are the mean of its members' (as in training: predictEnsembleLogits)
    const mean = (members: tfl.LayersModel[], x: tf.Tensor): tf.Tensor[] => {
      // a kind left out (reasonsOnly) weighs 0: zeros stand in for its logits
      if (members.length === 0) return [tf.zeros([n, 1]), tf.zeros([n, REASONS.length])];
      const outs = members.map((m) => m.predict(x) as tf.Tensor[]);
      return [0, 1].map((k) => tf.div(tf.addN(outs.map((o) => o[k])), members.length));
    };
    return tf.tidy(() => {
      const [fcCry, fcReason] = mean(this.fc, tf.tensor2d(emb, [n, 1024]));
      const fc = { fcCry: fcCry.dataSync() as Float32Array, fcReason: fcReason.dataSync() as Float32Array };
      if (!withMaps) {
        // FC heads alone (combination fcWeight 1): the MobileNetV3 terms are weighted 0
        return {
          ...fc,
          mnCry: new Float32Array(n),
          mnReason: new Float32Array(n * REASONS.length),
          yamnetLogits,
        };
      }
      const [mnCry, mnReason] = mean(this.mnv3, tf.tensor4d(maps, [n, h, w, c]));
      return {
        ...fc,
        mnCry: mnCry.dataSync() as Float32Array,
        mnReason: mnReason.dataSync() as Float32Array,
        yamnetLogits,
      };
    });
  }

  /** Calibrated cry probability and reason probabilities per YAMNet output. */
  predict(outputs: YamnetOutput[]): HeadPrediction[] {
    if (this.reasonsOnly)
      throw new Error(`${this.version}: loaded with reasonsOnly, they give reasons() only`);
    if (outputs.length === 0) return [];
    const { cry, reasons } = combineLogits(this.logits(outputs), this.manifest.combination);
    const k = REASONS.length;
    return outputs.map((_, i) => ({
      cry: cry[i],
      reasons: reasonProbabilities((_, j) => reasons[i * k + j]),
    }));
  }

  /** Reason probabilities per YAMNet output (what predict() gives as `reasons`). */
  reasons(outputs: YamnetOutput[]): ReasonProbabilities[] {
    if (outputs.length === 0) return [];
    const { reasons } = combineLogits(this.logits(outputs), this.manifest.combination);
    const k = REASONS.length;
    return outputs.map((_, i) => reasonProbabilities((_, j) => reasons[i * k + j]));
  }

  dispose(): void {
    for (const m of [...this.fc, ...this.mnv3]) m.dispose();
  }
}

/** Loads the heads in `dir` for the YAMNet whose TFLite source has sha256 `yamnetSha256`. */
export function loadHeads(dir: string, yamnetSha256: string): Promise<Heads> {
  return Heads.load(dir, yamnetSha256);
}

/** The heads in `dir` for their reasons alone (the detector block gives the cry): see Heads.load `reasonsOnly`. */
export function loadReasonHeads(dir: string, yamnetSha256: string): Promise<Heads> {
  return Heads.load(dir, yamnetSha256, { reasonsOnly: true });
}
