import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { z } from "zod";
import { YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { REASONS, reasonProbabilities } from "../events.js";
import {
  combinationSchema,
  combineLogits,
  HEADS_MANIFEST_FORMAT,
  HEADS_MANIFEST_VERSION,
  loadLayersModelFromDir,
} from "./heads.js";
import { HeadsModelError } from "./heads-error.js";
import { readManifestFile } from "./manifest-file.js";
import type { CryHeads, HeadPrediction } from "./types.js";
import "./head-layers.js";

/**
 * A model that reads the window's log-mel patch itself (`train-export --arch NAME --export-arch NAME`: Base CNN,
 * ResNet, EfficientNet, MobileNetV3 on 96 × 64 patches) instead of YAMNet's embedding. The daemon still runs
 * YAMNet next to it (its cry score for the laughter veto and `classify`), so the model does not depend on which
 * YAMNet is loaded.
 */
export const PATCH_MODEL_INPUT = "logmel-patch";

const PATCH_SHAPE = [YAMNET_FRONTEND.patchFrames, YAMNET_FRONTEND.melBands, 1] as const;

export const patchModelManifestSchema = z
  .object({
    format: z.literal(HEADS_MANIFEST_FORMAT),
    formatVersion: z.literal(HEADS_MANIFEST_VERSION),
    input: z.literal(PATCH_MODEL_INPUT),
    arch: z.string(),
    patchShape: z.tuple([z.literal(PATCH_SHAPE[0]), z.literal(PATCH_SHAPE[1]), z.literal(1)]),
    name: z.string(),
    version: z.string(),
    labels: z.object({ reasons: z.array(z.string()), nonCry: z.array(z.string()) }),
    frontend: z.record(z.string(), z.number()),
    bandLimitHz: z.number().min(0),
    /** folder of the TF.js layers model (outputs `cry`, 1 logit, and `reason`, 5 logits) */
    model: z.string(),
    /** the model reads (logmel − mean) / std, as in training */
    inputStandardization: z.object({ mean: z.number(), std: z.number().positive() }),
    /** the heads' calibration, with fcWeight 1 (the patch model's logits stand where the FC head's do) */
    combination: combinationSchema,
    thresholds: z.object({ cry: z.number().min(0).max(1), unsure: z.number().min(0).max(1) }),
  })
  .passthrough();
export type PatchModelManifest = z.infer<typeof patchModelManifestSchema>;

/** Whether a parsed manifest.json describes a log-mel-patch model (else it is YAMNet heads). */
export function isPatchModelManifest(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && (raw as { input?: unknown }).input === PATCH_MODEL_INPUT;
}

/** Calibrated probabilities from a patch model's logits, by the heads' combination rule. */
export function patchProbabilities(
  cryLogits: Float32Array,
  reasonLogits: Float32Array,
  combination: PatchModelManifest["combination"],
): { cry: Float64Array; reasons: Float64Array } {
  return combineLogits(
    { fcCry: cryLogits, fcReason: reasonLogits, mnCry: cryLogits, mnReason: reasonLogits },
    combination,
  );
}

export class PatchModel implements CryHeads {
  readonly featureLayers: readonly number[] = [];

  private constructor(
    readonly dir: string,
    readonly manifest: PatchModelManifest,
    private readonly model: tfl.LayersModel,
  ) {}

  static async load(dir: string): Promise<PatchModel> {
    const manifest = readManifestFile(dir, patchModelManifestSchema);
    if (manifest.labels.reasons.join(",") !== REASONS.join(",")) {
      throw new HeadsModelError(
        dir,
        `expected reason labels ${REASONS.join(", ")}, got ${manifest.labels.reasons.join(", ")}`,
      );
    }
    const model = await loadLayersModelFromDir(join(dir, manifest.model)).catch((err: Error) => {
      throw new HeadsModelError(dir, err.message);
    });
    return new PatchModel(dir, manifest, model);
  }

  get version(): string {
    return `${this.manifest.name}@${this.manifest.version}`;
  }

  get bandLimitHz(): number {
    return this.manifest.bandLimitHz;
  }

  get thresholds(): PatchModelManifest["thresholds"] {
    return this.manifest.thresholds;
  }

  /** Calibrated cry and reason probabilities of log-mel patches (96 × 64, row-major, as analyzer.patchOf makes them). */
  predictPatches(patches: Float32Array[]): HeadPrediction[] {
    if (patches.length === 0) return [];
    const size = PATCH_SHAPE[0] * PATCH_SHAPE[1];
    const x = new Float32Array(patches.length * size);
    const { mean, std } = this.manifest.inputStandardization;
    patches.forEach((p, i) => {
      if (p.length !== size) {
        throw new RangeError(`Expected patch ${i} to hold ${size} values (96 × 64 log-mel), got ${p.length}`);
      }
      for (let j = 0; j < size; j++) x[i * size + j] = (p[j] - mean) / std;
    });
    const [cryLogits, reasonLogits] = tf.tidy(() => {
      const out = this.model.predict(tf.tensor4d(x, [patches.length, ...PATCH_SHAPE])) as tf.Tensor[];
      return out.map((t) => t.dataSync() as Float32Array);
    });
    const { cry, reasons } = patchProbabilities(cryLogits, reasonLogits, this.manifest.combination);
    const k = REASONS.length;
    return patches.map((_, i) => ({
      cry: cry[i],
      reasons: reasonProbabilities((_, j) => reasons[i * k + j]),
    }));
  }

  predict(): HeadPrediction[] {
    throw new HeadsModelError(
      this.dir,
      `${this.version} is a log-mel-patch model (${this.manifest.arch}): it needs the windows' patches (predictPatches), not YAMNet outputs`,
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}
