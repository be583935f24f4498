import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { sha256Hex } from "../util/sha256.js";
import type { EpochRecord } from "./trainer.js";

/** Bump when what a cached fit holds, or how it is read, changes. */
const FIT_CACHE_FORMAT = 1;

export interface CachedFit {
  history: EpochRecord[];
  bestEpoch: number;
}

interface StoredFit extends CachedFit {
  format: number;
  weights: Array<{ shape: number[]; data: string }>;
}

/**
 * Trained head weights on disk, keyed by everything the training depends on: the feature cache keys and labels
 * of every training and validation patch, the augmented copies, the seed, every training option, and the
 * source of the training code itself (`codeKey`). A second run over the same data and options then skips
 * training its folds; changing any of those trains afresh. Interrupted runs resume from the fits they finished.
 */
export class FitCache {
  hits = 0;
  misses = 0;

  constructor(
    private readonly dir: string | null,
    private readonly codeKey: string,
  ) {
    if (dir) mkdirSync(dir, { recursive: true });
  }

  key(parts: unknown): string {
    return sha256Hex(`${FIT_CACHE_FORMAT}|${this.codeKey}|${JSON.stringify(parts)}`);
  }

  /** Restores the cached weights of `key` into `model` (built with the same options); null when absent. */
  load(key: string, model: tfl.LayersModel): CachedFit | null {
    const file = this.fileOf(key);
    if (!file || !existsSync(file)) {
      this.misses++;
      return null;
    }
    try {
      const stored = JSON.parse(readFileSync(file, "utf8")) as StoredFit;
      const expected = model.getWeights();
      if (stored.format !== FIT_CACHE_FORMAT || stored.weights.length !== expected.length)
        throw new Error("stale");
      const tensors = stored.weights.map((w, i) => {
        const buf = Buffer.from(w.data, "base64");
        const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        if (data.length !== expected[i].size) throw new Error("stale");
        return tf.tensor(data, w.shape);
      });
      model.setWeights(tensors);
      tf.dispose(tensors);
      this.hits++;
      return { history: stored.history, bestEpoch: stored.bestEpoch };
    } catch {
      // a stale or damaged entry is simply trained again (and overwritten)
      this.misses++;
      return null;
    }
  }

  save(key: string, model: tfl.LayersModel, fit: CachedFit): void {
    const file = this.fileOf(key);
    if (!file) return;
    const stored: StoredFit = {
      format: FIT_CACHE_FORMAT,
      history: fit.history,
      bestEpoch: fit.bestEpoch,
      weights: model.getWeights().map((w) => {
        const data = w.dataSync() as Float32Array;
        return {
          shape: w.shape,
          data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"),
        };
      }),
    };
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(stored));
    renameSync(tmp, file);
  }

  private fileOf(key: string): string | null {
    return this.dir ? join(this.dir, `${key}.json`) : null;
  }
}

/** sha256 of the training code's source files (their compiled or TypeScript form, whichever runs). */
export function trainingCodeKey(modules: readonly string[], base: string | URL): string {
  const parts = modules.map((m) => {
    for (const ext of [".js", ".ts"]) {
      const url = new URL(`./${m}${ext}`, base);
      if (existsSync(url)) return readFileSync(url);
    }
    throw new Error(`Expected the training module ${m} next to ${String(base)}, found neither .js nor .ts`);
  });
  return sha256Hex(Buffer.concat(parts));
}
