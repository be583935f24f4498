import type { EpisodeParams } from "../../detection/episodes.js";
import { episodesFor, quantile, scoreMix } from "../mix-eval.js";
import type { MixRun, Onset, OperatingPoint, PooledFigures, ScoredMix } from "./types.js";

/**
 * Figures pooled over mix runs, each scored at its own threshold and onset: cries, found cries and false episodes
 * are summed, false episodes per hour are over the summed hours without crying, and the latency quantiles are
 * over every found cry of every run.
 */
export function pooledAt(runs: readonly MixRun[], params: EpisodeParams, yamnetSupport = 0): PooledFigures {
  let cries = 0;
  let found = 0;
  let falseEpisodes = 0;
  let nonCryHours = 0;
  const latencies: number[] = [];
  const bySnr: Record<string, string> = {};
  const snrCounts: Record<string, [number, number]> = {};
  const falseByLabel: Record<string, number> = {};
  for (const { set: s, threshold, onset } of runs) {
    const r = scoreMix(
      episodesFor(s.windows, { ...params, threshold, ...onset, yamnetSupport }),
      s.mix.events,
      s.mix.durationSec,
      s.mix.background,
    );
    cries += r.cries;
    found += r.found;
    falseEpisodes += r.falseEpisodes;
    nonCryHours += r.nonCryHours;
    latencies.push(...r.latencies);
    for (const [k, v] of Object.entries(r.recallBySnr)) {
      snrCounts[k] ??= [0, 0];
      snrCounts[k][0] += v.found;
      snrCounts[k][1] += v.cries;
    }
    for (const [k, v] of Object.entries(r.falseByLabel)) falseByLabel[k] = (falseByLabel[k] ?? 0) + v;
  }
  for (const [k, [f, c]] of Object.entries(snrCounts)) bySnr[k] = `${f}/${c}`;
  latencies.sort((a, b) => a - b);
  return {
    yamnetSupport,
    cries,
    found,
    recall: found / cries,
    falseEpisodes,
    nonCryHours,
    falsePerHour: falseEpisodes / nonCryHours,
    latencyMedianSec: quantile(latencies, 0.5),
    latencyP95Sec: quantile(latencies, 0.95),
    bySnr,
    falseByLabel,
  };
}

/** One operating point (threshold, onset, YAMNet support) applied to every mix of `sets`, pooled. */
export function pooled(
  sets: readonly ScoredMix[],
  params: EpisodeParams,
  threshold: number,
  onset: Onset,
  yamnetSupport = 0,
): OperatingPoint {
  return {
    threshold,
    ...onset,
    ...pooledAt(
      sets.map((set) => ({ set, threshold, onset })),
      params,
      yamnetSupport,
    ),
  };
}

/** The onset of an operating point (or of the episode parameters: the configured one). */
export const onsetOf = (p: Onset): Onset => ({ onsetN: p.onsetN, onsetStrong: p.onsetStrong });
