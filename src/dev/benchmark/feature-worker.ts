import type { BackendPreference } from "../../inference/backend.js";
import { loadHeads } from "../../inference/heads.js";
import type { CryHeads } from "../../inference/types.js";
import { YamnetModel } from "../../inference/yamnet.js";
import { computeFeatures } from "./features.js";
import type { FoldStream } from "./streams.js";

/** One stream's features, computed in a worker thread of feature-pool.ts (piscina). */
export interface FeatureTask {
  stream: FoldStream;
  file: string;
  yamnetDir: string;
  headsDir: string | null;
  backend: BackendPreference;
  hopSec: number;
}

// a worker keeps its models between tasks: loading YAMNet and the heads costs seconds, a task minutes
let loaded: { key: string; yamnet: YamnetModel; heads: CryHeads | null } | null = null;

async function models(t: FeatureTask) {
  const key = JSON.stringify([t.yamnetDir, t.headsDir, t.backend]);
  if (loaded?.key === key) return loaded;
  loaded?.yamnet.dispose();
  loaded?.heads?.dispose?.();
  loaded = null;
  const yamnet = await YamnetModel.load(t.yamnetDir, { backend: t.backend });
  // loadHeads, not analyzer's loadCryHeads: tsx does not map a worker's dynamic `import("./x.js")` to x.ts, and
  // the benchmark scores manifest heads only (data.ts keeps a log-mel-patch model in its own thread)
  const heads = t.headsDir ? await loadHeads(t.headsDir, yamnet.manifest.source.sha256) : null;
  loaded = { key, yamnet, heads };
  return loaded;
}

/** Computes and caches the stream's features; returns the log lines. */
export default async function featureTask(t: FeatureTask): Promise<string[]> {
  const { yamnet, heads } = await models(t);
  const lines: string[] = [];
  computeFeatures(t.stream, { yamnet, heads, hopSec: t.hopSec, log: (l) => lines.push(l) }, t.file);
  return lines;
}
