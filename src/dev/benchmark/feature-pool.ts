import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { BackendPreference } from "../../inference/backend.js";
import type { FeatureTask } from "./feature-worker.js";
import type { FoldStream } from "./streams.js";

/**
 * Worker threads that compute streams' features side by side (YAMNet runs on one core per process; the benchmark's
 * five fold streams are independent). Each worker loads its own YAMNet and heads once; a stream's samples move to
 * the worker (transferred, not copied) and its features come back through the cache file.
 */

export interface FeaturePoolOptions {
  threads: number;
  yamnetDir: string;
  headsDir: string | null;
  backend: BackendPreference;
  hopSec: number;
}

export const defaultFeatureThreads = (): number => availableParallelism();

// under tsx (tests, scripts) this module is feature-pool.ts and its worker feature-worker.ts
const workerFile = () =>
  new URL(`./feature-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

export class FeaturePool {
  private readonly pool: Piscina<FeatureTask, string[]>;

  constructor(private readonly o: FeaturePoolOptions) {
    if (!Number.isInteger(o.threads) || o.threads < 1)
      throw new Error(`Expected the feature threads to be an integer ≥ 1, got ${o.threads}`);
    this.pool = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: o.threads });
  }

  /** Computes the stream's features into `file`; the stream's samples are moved to the worker (unusable here after). */
  async compute(stream: FoldStream, file: string, log?: (line: string) => void): Promise<void> {
    const { threads: _, ...models } = this.o;
    const lines = await this.pool.run(
      { stream, file, ...models },
      { transferList: [stream.samples.buffer as ArrayBuffer] },
    );
    for (const l of lines) log?.(l);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
