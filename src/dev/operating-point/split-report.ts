import type { EpisodeParams } from "../../detection/episodes.js";
import { EPISODE_THRESHOLD_GRID } from "../../detection/room-calibration.js";
import { chooseWithSupport, lowestWithinBudget } from "./choose.js";
import { pointLine, type ReportSide, reportBlock, reportTitle } from "./format.js";
import { onsetOf, pooled } from "./pooling.js";
import type { ScoredMix } from "./types.js";

/** The calibration and report mixes of one split, and what the report side is called. */
export interface Split {
  calibration: readonly ScoredMix[];
  report: readonly ScoredMix[];
  reportSide: ReportSide;
  params: EpisodeParams;
  maxFalsePerHour: number;
}

/** Thresholds the calibration sweep prints: every 0.05, and every grid step from 0.95 up. */
const shownInSweep = (t: number) => Math.round(t * 1000) % 50 === 0 || t >= 0.95;

/**
 * The threshold alone, at the configured onset: the sweep on the calibration mixes, the lowest threshold within
 * the budget there, and the report mixes at the configured and at the chosen threshold.
 */
export function thresholdSplitText(s: Split): string {
  const { params } = s;
  const at = (sets: readonly ScoredMix[], t: number) =>
    pointLine(pooled(sets, params, t, onsetOf(params)), params.onsetK);
  let text = "-- calibration sweep (pooled)\n";
  for (const t of EPISODE_THRESHOLD_GRID) if (shownInSweep(t)) text += `${at(s.calibration, t)}\n`;
  const chosen = lowestWithinBudget(
    (t) => pooled(s.calibration, params, t, onsetOf(params)),
    s.maxFalsePerHour,
  )?.threshold;
  text +=
    chosen === undefined
      ? `no threshold reaches ≤ ${s.maxFalsePerHour} false episodes per hour on the calibration mixes\n`
      : `chosen: ${chosen} (lowest with ≤ ${s.maxFalsePerHour} false episodes/h on the calibration mixes)\n`;
  for (const t of chosen === undefined ? [params.threshold] : [params.threshold, chosen]) {
    text += reportBlock(`${reportTitle(s.reportSide)} at ${t}`, s.report, params, {
      threshold: t,
      yamnetSupport: 0,
    });
    text += `   calibration at ${t}: ${at(s.calibration, t)}\n`;
  }
  return text;
}

/**
 * The joint choice of YAMNet support and threshold (chooseWithSupport) and the winner on the report mixes;
 * empty when no support on the grid is above 0.
 */
export function supportSplitText(s: Split, supports: readonly number[]): string {
  if (!supports.some((x) => x > 0)) return "";
  const { params } = s;
  const { rows, best } = chooseWithSupport(s.calibration, s.report, params, supports, s.maxFalsePerHour);
  let text = "-- joint calibration (support, threshold)\n";
  for (const { chosen, onReport } of rows)
    text += `${pointLine(chosen, params.onsetK)}\n   (half ${s.reportSide.half}, not used to choose: ${pointLine(onReport, params.onsetK)})\n`;
  if (best) {
    text += `chosen: support ${best.yamnetSupport}, threshold ${best.threshold}\n`;
    text += reportBlock(reportTitle(s.reportSide), s.report, params, best);
  }
  return text;
}
