import { detectionConfigSchema } from "../../config/schema.js";
import { type EpisodeParams, resolveDetection } from "../../detection/episodes.js";
import { episodesOf, type StreamScore, scoreStream } from "./scorer.js";
import type { BenchWindow, StreamEvent } from "./types.js";

/** What the benchmark chooses for a score: the episode threshold, onsetN (of onsetK 3) and onsetStrong (1 = off). */
export interface OperatingPoint {
  threshold: number;
  onsetN: number;
  onsetStrong: number;
}

/**
 * Thresholds 0.1 … 0.8, then finer up to 0.999: calibrated scores crowd near 1 (Platt-scaled YAMNet: p 0.85 is a
 * raw score of about 0.1, p 0.95 about 0.5). Kept short: every point is one replay of the episode logic over every
 * fold's stream.
 */
export const THRESHOLD_GRID: readonly number[] = [
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985,
  0.99, 0.995, 0.998, 0.999,
];
export const ONSET_N_GRID = [3, 4, 5] as const;
/** one window at or above this starts an episode (1 = off) */
export const STRONG_GRID = [1, 0.9] as const;

export function pointGrid(): OperatingPoint[] {
  const out: OperatingPoint[] = [];
  for (const threshold of THRESHOLD_GRID)
    for (const onsetN of ONSET_N_GRID)
      for (const onsetStrong of STRONG_GRID)
        if (onsetStrong === 1 || onsetStrong > threshold) out.push({ threshold, onsetN, onsetStrong });
  return out;
}

/** The daemon's default detection settings with an operating point in place. */
export function paramsAt(p: OperatingPoint): EpisodeParams {
  const { enabled: _, ...d } = resolveDetection(detectionConfigSchema.parse({}), "yamnet");
  return { ...d, threshold: p.threshold, onsetN: p.onsetN, onsetStrong: p.onsetStrong, yamnetSupport: 0 };
}

/** One fold's stream as a score sees it. */
export interface ScoredFold {
  fold: number;
  windows: BenchWindow[];
  events: StreamEvent[];
  durationSec: number;
}

/** Every grid point's score of one fold (the episode logic replayed once per point). */
export function scoreGrid(f: ScoredFold, grid: readonly OperatingPoint[]): StreamScore[] {
  return grid.map((p) =>
    scoreStream(episodesOf(f.windows, paramsAt(p)), f.events, f.durationSec, `background:${f.fold}`),
  );
}

interface Totals {
  cries: number;
  found: number;
  falseEpisodes: number;
  hours: number;
}

function totals(scores: readonly StreamScore[]): Totals {
  let cries = 0;
  let found = 0;
  let falseEpisodes = 0;
  let seconds = 0;
  for (const s of scores) {
    cries += s.cries.length;
    found += s.cries.filter((c) => c.found).length;
    for (const n of s.negatives) {
      falseEpisodes += n.falseEpisodes;
      seconds += n.seconds;
    }
  }
  return { cries, found, falseEpisodes, hours: seconds / 3600 };
}

/**
 * The grid point (index) finding the most cries over `scoresByFold` (each fold's grid scores) with at most
 * `budgetPerHour` false episodes per hour there; ties go to fewer false episodes, then the higher threshold.
 * With no point within budget, the one with the fewest false episodes per hour.
 */
export function choosePoint(
  grid: readonly OperatingPoint[],
  scoresByFold: readonly (readonly StreamScore[])[],
  budgetPerHour: number,
): number {
  let best = -1;
  let bestT: Totals | null = null;
  let fallback = 0;
  let fallbackRate = Number.POSITIVE_INFINITY;
  grid.forEach((p, i) => {
    const t = totals(scoresByFold.map((s) => s[i]));
    const rate = t.falseEpisodes / t.hours;
    if (rate < fallbackRate) {
      fallbackRate = rate;
      fallback = i;
    }
    if (rate > budgetPerHour) return;
    const better =
      !bestT ||
      t.found > bestT.found ||
      (t.found === bestT.found &&
        (t.falseEpisodes < bestT.falseEpisodes ||
          (t.falseEpisodes === bestT.falseEpisodes && p.threshold > grid[best].threshold)));
    if (better) {
      best = i;
      bestT = t;
    }
  });
  return best >= 0 ? best : fallback;
}

export interface CrossFitted {
  /** each fold's point, chosen on the other folds' scores */
  points: OperatingPoint[];
  /** each fold's score at its point */
  scores: StreamScore[];
  /** the point chosen on all folds together (what a model ships with) */
  pooledPoint: OperatingPoint;
  /** each fold's score at the pooled point: recall at equal false alarms, for comparing scores */
  pooledScores: StreamScore[];
}

/** Operating points cross-fitted over folds: fold k is measured at the point chosen on the folds other than k. */
export function crossFit(
  folds: readonly ScoredFold[],
  budgetPerHour: number,
  grid = pointGrid(),
): CrossFitted {
  const all = folds.map((f) => scoreGrid(f, grid));
  const chosen = folds.map((_, k) =>
    choosePoint(
      grid,
      all.filter((_, j) => j !== k),
      budgetPerHour,
    ),
  );
  const pooled = choosePoint(grid, all, budgetPerHour);
  return {
    points: chosen.map((i) => grid[i]),
    scores: chosen.map((i, k) => all[k][i]),
    pooledPoint: grid[pooled],
    pooledScores: all.map((s) => s[pooled]),
  };
}
