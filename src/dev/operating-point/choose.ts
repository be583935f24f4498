import type { EpisodeParams } from "../../detection/episodes.js";
import { EPISODE_THRESHOLD_GRID } from "../../detection/room-calibration.js";
import { onsetOf, pooled } from "./pooling.js";
import type { OperatingPoint, ScoredMix } from "./types.js";

/**
 * The lowest threshold on `grid` (so the most sensitive) whose figures keep false episodes per hour at or below
 * `maxFalsePerHour`, with those figures; undefined when none does.
 */
export function lowestWithinBudget<T extends { falsePerHour: number }>(
  measure: (threshold: number) => T,
  maxFalsePerHour: number,
  grid: readonly number[] = EPISODE_THRESHOLD_GRID,
): { threshold: number; figures: T } | undefined {
  for (const threshold of grid) {
    const figures = measure(threshold);
    if (figures.falsePerHour <= maxFalsePerHour) return { threshold, figures };
  }
  return undefined;
}

/** The candidates for an operating point and what it must meet. */
export interface OperatingPointGrid {
  /** `detection.onsetN` candidates (those below `onsetK` are skipped) */
  onsetNs: readonly number[];
  /** `detection.onsetStrong` candidates (1 = off) */
  strongs: readonly number[];
  maxFalsePerHour: number;
  /** median latency preferred at or below this (seconds) */
  maxLatencySec: number;
}

/**
 * The operating point chosen on `sets`: for each onsetN and onsetStrong on the grid the lowest threshold within the
 * false-alarm budget; among the points whose median latency is within `maxLatencySec` the one with the most cries
 * found wins (then the lower latency, then fewer false episodes); when none is, the one with the most cries found.
 * Undefined when no point is within the budget.
 */
export function chooseOperatingPoint(
  sets: readonly ScoredMix[],
  params: EpisodeParams,
  grid: OperatingPointGrid,
): OperatingPoint | undefined {
  const fast = (x: OperatingPoint) => (x.latencyMedianSec <= grid.maxLatencySec ? 1 : 0);
  const rank = (x: OperatingPoint, y: OperatingPoint) =>
    fast(x) - fast(y) ||
    x.found - y.found ||
    y.latencyMedianSec - x.latencyMedianSec ||
    y.falseEpisodes - x.falseEpisodes;
  let best: OperatingPoint | undefined;
  for (const onsetN of grid.onsetNs.filter((n) => n >= params.onsetK))
    for (const onsetStrong of grid.strongs) {
      const onset = { onsetN, onsetStrong };
      const within = lowestWithinBudget((t) => pooled(sets, params, t, onset), grid.maxFalsePerHour);
      if (within === undefined) continue;
      if (!best || rank(within.figures, best) > 0) best = within.figures;
    }
  return best;
}

/** One YAMNet support on the grid: its point chosen on the calibration mixes, and that point on the report mixes. */
export interface SupportRow {
  chosen: OperatingPoint;
  onReport: OperatingPoint;
}

/**
 * Joint choice with the YAMNet-support onset condition (detection.yamnetSupport), at the configured onset: for each
 * support the lowest threshold within the false-alarm budget on the calibration mixes; the pair with the highest
 * calibration recall wins (ties: fewer false episodes per hour, then the lower support).
 */
export function chooseWithSupport(
  calibration: readonly ScoredMix[],
  report: readonly ScoredMix[],
  params: EpisodeParams,
  supports: readonly number[],
  maxFalsePerHour: number,
): { rows: SupportRow[]; best: OperatingPoint | undefined } {
  const onset = onsetOf(params);
  const rows: SupportRow[] = [];
  let best: OperatingPoint | undefined;
  for (const support of supports) {
    const within = lowestWithinBudget((t) => pooled(calibration, params, t, onset, support), maxFalsePerHour);
    if (within === undefined) continue;
    const r = within.figures;
    rows.push({ chosen: r, onReport: pooled(report, params, r.threshold, onset, support) });
    if (!best || r.recall > best.recall || (r.recall === best.recall && r.falsePerHour < best.falsePerHour))
      best = r;
  }
  return { rows, best };
}
