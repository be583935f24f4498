import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { WindowCutter } from "../../detection/windows.js";
import { bandLimit } from "../../dsp/band-limit.js";
import { LogMelFrontend } from "../../dsp/logmel.js";
import { REASONS, type ReasonProbabilities } from "../../events.js";
import type { CryHeads } from "../../inference/types.js";
import type { YamnetModel } from "../../inference/yamnet.js";
import { PROJECT_ROOT } from "../../version.js";
import type { CryActivity } from "./activity.js";
import type { FoldStream } from "./streams.js";
import type { FoldStreamInfo } from "./types.js";

/**
 * YAMNet over a fold's stream, window by window as the daemon cuts it, in two bandwidths: the full 16 kHz band
 * (what a 16 kHz microphone hears) and band-limited to 4 kHz (what the shipped heads hear, and the training copies
 * that teach a head that bandwidth says nothing). Kept per window: both embeddings (the 521 class scores are the
 * dense layer of an embedding, recomputed when needed) and, when heads are given, their cry and reason
 * probabilities on the band-limited pass (exactly the daemon's analyzer with those heads). Cached on disk under
 * .cache/benchmark/.
 */

export const EMBEDDING = 1024;
/** bump when what is computed changes */
const FEATURES_VERSION = 2;

export interface FoldFeatures {
  info: FoldStreamInfo;
  /** window start times (s); every window is 0.975 s */
  startSec: Float64Array;
  /** n × 1024, full band */
  fullEmbedding: Float32Array;
  /** n × 1024, band-limited to 4 kHz */
  limitedEmbedding: Float32Array;
  /** the given heads' cry probability per window (band-limited pass), or null */
  headsCry: Float32Array | null;
  /** the given heads' reason probabilities per window (n × REASONS.length, REASONS order), or null */
  headsReasons: Float32Array | null;
  headsVersion: string | null;
  /** where each cry is crying (set by benchmarkData; labels for training and calibration) */
  activity?: CryActivity;
  get windows(): number;
}

export interface FeatureModels {
  yamnet: YamnetModel;
  heads: CryHeads | null;
  hopSec: number;
  /** where the features are cached (default .cache/benchmark/) */
  cacheDir?: string;
  log?: (line: string) => void;
}

export const FEATURE_CACHE_DIR = join(PROJECT_ROOT, ".cache", "benchmark");

/** What a stream's features depend on: the stream itself, the hop, YAMNet's weights and the heads scored. */
export interface FeatureKey {
  yamnetSha256: string;
  headsVersion: string | null;
  hopSec: number;
  cacheDir?: string;
}

export const featureKey = (m: FeatureModels): FeatureKey => ({
  yamnetSha256: m.yamnet.manifest.source.sha256,
  headsVersion: m.heads?.version ?? null,
  hopSec: m.hopSec,
  ...(m.cacheDir ? { cacheDir: m.cacheDir } : {}),
});

/** The cache file of a stream's features. */
export function featureCacheFile(info: FoldStreamInfo, k: FeatureKey): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ v: FEATURES_VERSION, events: info.events, inputs: info.inputs, hop: k.hopSec }));
  h.update(`${k.yamnetSha256}|${k.headsVersion ?? "none"}|${info.durationSec}`);
  return join(k.cacheDir ?? FEATURE_CACHE_DIR, `fold${info.fold}-${h.digest("hex").slice(0, 16)}.bin`);
}

const R = REASONS.length;
/** per window: start, full-band embedding, band-limited embedding, the heads' cry and reasons (0 without heads) */
const PER_WINDOW = 1 + 2 * EMBEDDING + 1 + R;

const make = (
  info: FoldStreamInfo,
  startSec: Float64Array,
  fullEmbedding: Float32Array,
  limitedEmbedding: Float32Array,
  headsCry: Float32Array | null,
  headsReasons: Float32Array | null,
  headsVersion: string | null,
): FoldFeatures => ({
  info,
  startSec,
  fullEmbedding,
  limitedEmbedding,
  headsCry,
  headsReasons,
  headsVersion,
  get windows() {
    return startSec.length;
  },
});

/** The features read back from a cache file (null when there is none). */
export function readCachedFeatures(
  file: string,
  info: FoldStreamInfo,
  headsVersion: string | null,
): FoldFeatures | null {
  if (!existsSync(file)) return null;
  const buf = readFileSync(file);
  const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const n = f[0];
  if (buf.byteLength !== 4 * (1 + n * PER_WINDOW))
    throw new Error(
      `${file}: expected ${4 * (1 + n * PER_WINDOW)} bytes for its ${n} windows, got ${buf.byteLength}; delete the file to compute it again`,
    );
  const startSec = new Float64Array(n);
  const full = new Float32Array(n * EMBEDDING);
  const limited = new Float32Array(n * EMBEDDING);
  const cry = headsVersion ? new Float32Array(n) : null;
  const reasons = headsVersion ? new Float32Array(n * R) : null;
  for (let i = 0; i < n; i++) {
    const o = 1 + i * PER_WINDOW;
    startSec[i] = f[o];
    full.set(f.subarray(o + 1, o + 1 + EMBEDDING), i * EMBEDDING);
    limited.set(f.subarray(o + 1 + EMBEDDING, o + 1 + 2 * EMBEDDING), i * EMBEDDING);
    if (cry) cry[i] = f[o + 1 + 2 * EMBEDDING];
    reasons?.set(f.subarray(o + 2 + 2 * EMBEDDING, o + 2 + 2 * EMBEDDING + R), i * R);
  }
  return make(info, startSec, full, limited, cry, reasons, headsVersion);
}

/**
 * YAMNet (both bands) and the heads over a stream, written to its cache file (through a temporary file, so an
 * interrupted run leaves no partial cache). Runs in this thread or in a feature worker (feature-pool.ts).
 */
export function computeFeatures(stream: FoldStream, m: FeatureModels, file: string): void {
  const { samples, ...info } = stream;
  const t0 = performance.now();
  const frontend = new LogMelFrontend();
  const starts: number[] = [];
  const full: Float32Array[] = [];
  const limited: Float32Array[] = [];
  const cries: number[] = [];
  const reasons: ReasonProbabilities[] = [];
  const featureLayers = m.heads?.featureLayers ? [...m.heads.featureLayers] : undefined;
  const limitHz = m.heads?.bandLimitHz || 4000;
  // the whole stream band-limited at once (the daemon does it per window: the same but for ≤ 4 ms at the edges)
  const limitedSamples = bandLimit(samples, limitHz);
  let batch: { start: number; window: Float32Array; limited: Float32Array }[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const f = m.yamnet.predict(batch.map((b) => frontend.patch(b.window)));
    for (const o of f) full.push(o.embedding.slice());
    const l = m.yamnet.predict(
      batch.map((b) => frontend.patch(b.limited)),
      featureLayers ? { featureLayers } : {},
    );
    for (const o of l) limited.push(o.embedding.slice());
    if (m.heads)
      for (const p of m.heads.predict(l)) {
        cries.push(p.cry);
        reasons.push(p.reasons);
      }
    for (const b of batch) starts.push(b.start);
    batch = [];
  };
  const cutter = new WindowCutter(m.hopSec);
  cutter.push(samples, (w) => {
    const at = w.startSample;
    batch.push({
      start: w.startSec,
      window: w.samples.slice(),
      limited: limitedSamples.slice(at, at + w.samples.length),
    });
    if (batch.length === 16) flush();
  });
  flush();
  const n = starts.length;
  const out = new Float32Array(1 + n * PER_WINDOW);
  out[0] = n;
  for (let i = 0; i < n; i++) {
    const o = 1 + i * PER_WINDOW;
    out[o] = starts[i];
    out.set(full[i], o + 1);
    out.set(limited[i], o + 1 + EMBEDDING);
    out[o + 1 + 2 * EMBEDDING] = cries[i] ?? 0;
    if (reasons[i])
      out.set(
        REASONS.map((r) => reasons[i][r]),
        o + 2 + 2 * EMBEDDING,
      );
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${threadId}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, file);
  m.log?.(
    `fold ${info.fold}: ${n} windows (${(info.durationSec / 60).toFixed(1)} min) through YAMNet ×2 in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
}

/** A stream's features, from the cache or computed here (and cached). */
export async function foldFeatures(stream: FoldStream, m: FeatureModels): Promise<FoldFeatures> {
  const { samples: _, ...info } = stream;
  const file = featureCacheFile(info, featureKey(m));
  const headsVersion = m.heads?.version ?? null;
  const cached = readCachedFeatures(file, info, headsVersion);
  if (cached) return cached;
  computeFeatures(stream, m, file);
  return readCachedFeatures(file, info, headsVersion)!;
}
