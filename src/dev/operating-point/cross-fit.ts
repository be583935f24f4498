import type { EpisodeParams } from "../../detection/episodes.js";
import { chooseOperatingPoint, type OperatingPointGrid } from "./choose.js";
import { onsetOf, pooled, pooledAt } from "./pooling.js";
import type { OperatingPoint, PooledFigures, ScoredMix } from "./types.js";

/**
 * An operating point chosen on one half and measured on the other, both ways, and the point chosen on both halves
 * together (the one to ship).
 */
export interface CrossFit {
  chosenOnCal: OperatingPoint;
  chosenOnRep: OperatingPoint;
  /** the calibration half's point measured on the report mixes */
  calOnRep: OperatingPoint;
  /** the report half's point measured on the calibration mixes */
  repOnCal: OperatingPoint;
  /** both directions pooled: the honest estimate when the halves differ */
  crossFitted: PooledFigures;
  /** chosen on both halves together; undefined when no point is within the budget there */
  both: OperatingPoint | undefined;
}

/** Cross-fits the operating point; undefined when one half has no point within the budget. */
export function crossFit(
  calibration: readonly ScoredMix[],
  report: readonly ScoredMix[],
  params: EpisodeParams,
  grid: OperatingPointGrid,
): CrossFit | undefined {
  const chosenOnCal = chooseOperatingPoint(calibration, params, grid);
  const chosenOnRep = chooseOperatingPoint(report, params, grid);
  if (chosenOnCal === undefined || chosenOnRep === undefined) return undefined;
  const runsAt = (sets: readonly ScoredMix[], p: OperatingPoint) =>
    sets.map((set) => ({ set, threshold: p.threshold, onset: onsetOf(p) }));
  return {
    chosenOnCal,
    chosenOnRep,
    calOnRep: pooled(report, params, chosenOnCal.threshold, onsetOf(chosenOnCal)),
    repOnCal: pooled(calibration, params, chosenOnRep.threshold, onsetOf(chosenOnRep)),
    crossFitted: pooledAt([...runsAt(report, chosenOnCal), ...runsAt(calibration, chosenOnRep)], params),
    both: chooseOperatingPoint([...calibration, ...report], params, grid),
  };
}
