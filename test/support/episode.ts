import type { EpisodeInfo } from "../../src/events.js";

/** An episode as the pipeline reports it, for tests that write one to a sink or a database; `over` sets what differs. */
export function episodeInfo(id: string, startMs: number, over: Partial<EpisodeInfo> = {}): EpisodeInfo {
  return {
    id,
    startMs,
    startSec: 0,
    peak: 0.9,
    reason: "hungry",
    confidence: 0.7,
    probabilities: { hungry: 0.7, belly_pain: 0.1, burping: 0.05, discomfort: 0.1, tired: 0.05 },
    levelDbfs: -30,
    models: { yamnet: "sha", heads: "heads@1" },
    ...over,
  };
}
