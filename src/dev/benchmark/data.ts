import type { CryHeads } from "../../inference/types.js";
import type { YamnetModel } from "../../inference/yamnet.js";
import { cryActivity } from "./activity.js";
import { type FoldFeatures, foldFeatures } from "./features.js";
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
  hopSec: number;
  /** compute only these folds (the others' sources are then in no figure); default all */
  onlyFolds?: readonly number[];
  log?: (line: string) => void;
}

/** Stage 1 of the benchmark: clips → folds over sources → one stream per fold → YAMNet features (cached). */
export async function benchmarkData(o: BenchmarkDataOptions): Promise<BenchmarkData> {
  const clips = listBenchClips();
  const folds = assignFolds(clips, o.k, o.foldSeed);
  const features: FoldFeatures[] = [];
  for (let f = 0; f < o.k; f++) {
    if (o.onlyFolds && !o.onlyFolds.includes(f)) continue;
    const mine = clips.filter((c) => folds.get(c.source) === f);
    const stream = await buildFoldStream(f, mine, { ...DEFAULT_STREAM, ...o.stream });
    const cries = stream.events.filter((e) => e.kind === "cry").length;
    o.log?.(
      `fold ${f}: ${new Set(mine.map((c) => c.source)).size} sources, ${cries} cries, ${stream.events.length - cries} negative stretches, ${(stream.durationSec / 60).toFixed(1)} min`,
    );
    const fold = await foldFeatures(stream, {
      yamnet: o.yamnet,
      heads: o.heads,
      hopSec: o.hopSec,
      log: o.log,
    });
    fold.activity = await cryActivity(fold.info.events);
    features.push(fold);
  }
  return { k: o.k, clips, folds, features };
}
