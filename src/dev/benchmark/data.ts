import { isPatchModelDir } from "../../inference/analyzer.js";
import type { BackendPreference } from "../../inference/backend.js";
import type { CryHeads } from "../../inference/types.js";
import type { YamnetModel } from "../../inference/yamnet.js";
import { cryActivity } from "./activity.js";
import { defaultFeatureThreads, FeaturePool } from "./feature-pool.js";
import {
  type FoldFeatures,
  featureCacheFile,
  featureKey,
  foldFeatures,
  readCachedFeatures,
} from "./features.js";
import { assignFolds } from "./folds.js";
import { listBenchClips } from "./sources.js";
import { buildFoldStream, DEFAULT_STREAM, type StreamOptions } from "./streams.js";
import type { BenchClip } from "./types.js";

export interface BenchmarkData {
  k: number;
  clips: BenchClip[];
  /** source → fold */
  folds: Map<string, number>;
  features: FoldFeatures[];
}

export interface BenchmarkDataOptions {
  k: number;
  foldSeed: number;
  stream: StreamOptions;
  yamnet: YamnetModel;
  /** the heads to score alongside (the shipped ones), on the band-limited pass */
  heads: CryHeads | null;
  /** the folder `heads` was loaded from (a feature worker loads its own copy) */
  headsDir: string | null;
  hopSec: number;
  /** worker threads computing uncached fold features side by side (default: the machine's cores; 1: in this thread) */
  featureThreads?: number;
  /** compute only these folds (the others' sources are then in no figure); default all */
  onlyFolds?: readonly number[];
  log?: (line: string) => void;
}

/**
 * Stage 1 of the benchmark: clips → folds over sources → one stream per fold → YAMNet features (cached). Folds
 * whose features are not cached are computed in worker threads, as many at once as there are threads; a fold's
 * stream is built only when a thread is free for it, so at most that many streams are in memory.
 */
export async function benchmarkData(o: BenchmarkDataOptions): Promise<BenchmarkData> {
  const clips = listBenchClips();
  const folds = assignFolds(clips, o.k, o.foldSeed);
  const models = { yamnet: o.yamnet, heads: o.heads, hopSec: o.hopSec, log: o.log };
  const key = featureKey(models);
  const headsVersion = o.heads?.version ?? null;
  const threads = o.featureThreads ?? defaultFeatureThreads();
  let pool: FeaturePool | null = null;
  const running = new Set<Promise<void>>();
  const features: Promise<FoldFeatures>[] = [];
  try {
    for (let f = 0; f < o.k; f++) {
      if (o.onlyFolds && !o.onlyFolds.includes(f)) continue;
      if (running.size >= threads) await Promise.race(running);
      const mine = clips.filter((c) => folds.get(c.source) === f);
      const stream = await buildFoldStream(f, mine, { ...DEFAULT_STREAM, ...o.stream });
      const cries = stream.events.filter((e) => e.kind === "cry").length;
      o.log?.(
        `fold ${f}: ${new Set(mine.map((c) => c.source)).size} sources, ${cries} cries, ${stream.events.length - cries} negative stretches, ${(stream.durationSec / 60).toFixed(1)} min`,
      );
      const { samples: _, ...info } = stream;
      const file = featureCacheFile(info, key);
      const cached = readCachedFeatures(file, info, headsVersion);
      let fold: Promise<FoldFeatures>;
      if (cached) fold = Promise.resolve(cached);
      else if (threads > 1 && (!o.heads || (o.headsDir && !isPatchModelDir(o.headsDir)))) {
        pool ??= new FeaturePool({
          threads,
          yamnetDir: o.yamnet.dir,
          headsDir: o.heads ? o.headsDir : null,
          backend: (o.yamnet.backend === "tensorflow" ? "node" : o.yamnet.backend) as BackendPreference,
          hopSec: o.hopSec,
        });
        fold = pool.compute(stream, file, o.log).then(() => readCachedFeatures(file, info, headsVersion)!);
      } else fold = foldFeatures(stream, models);
      const withActivity = fold.then(async (ff) => {
        ff.activity = await cryActivity(ff.info.events);
        return ff;
      });
      features.push(withActivity);
      // the thread is free again when the fold is done or failed (Promise.all below reports a failure)
      const slot: Promise<void> = withActivity.then(
        () => void running.delete(slot),
        () => void running.delete(slot),
      );
      running.add(slot);
    }
    return { k: o.k, clips, folds, features: await Promise.all(features) };
  } finally {
    await pool?.close();
  }
}
