import {
  type CrossFitted,
  crossFit,
  type OperatingPoint,
  paramsAt,
  type ScoredFold,
} from "./operating-point.js";
import { episodesOf, type StreamScore, scoreStream } from "./scorer.js";
import { type DetectionSummary, summarise } from "./summary.js";

/** One score's benchmark result: cross-fitted (the figure of record), per fold, and at its pooled point. */
export interface ScoreResult {
  name: string;
  /** what the score is, for the table */
  description: string;
  /** the figure of record: each fold measured at the point chosen on the other folds */
  crossFitted: DetectionSummary;
  perFold: Array<{ fold: number; point: OperatingPoint; summary: DetectionSummary }>;
  /** the point chosen on all folds (what ships), and every fold at it: the comparison at equal false alarms */
  pooledPoint: OperatingPoint;
  atPooledPoint: DetectionSummary;
  /** a fixed point given with the score (e.g. the one the shipped heads' manifest carries), if any */
  fixed?: { point: OperatingPoint; summary: DetectionSummary };
  /** expected calibration error of the cry probability on out-of-source windows, when measured */
  ece?: number;
}

export interface EvaluateOptions {
  budgetPerHour: number;
  bootstrapReps: number;
}

export function scoreAt(folds: readonly ScoredFold[], point: OperatingPoint): StreamScore[] {
  return folds.map((f) =>
    scoreStream(episodesOf(f.windows, paramsAt(point)), f.events, f.durationSec, `background:${f.fold}`),
  );
}

export function evaluateScore(
  name: string,
  description: string,
  folds: readonly ScoredFold[],
  o: EvaluateOptions,
  fixedPoint?: OperatingPoint,
): ScoreResult {
  const cf: CrossFitted = crossFit(folds, o.budgetPerHour);
  const sum = (s: readonly StreamScore[]) => summarise(s, o.bootstrapReps);
  return {
    name,
    description,
    crossFitted: sum(cf.scores),
    perFold: cf.scores.map((s, k) => ({
      fold: folds[k].fold,
      point: cf.points[k],
      summary: summarise([s], 0),
    })),
    pooledPoint: cf.pooledPoint,
    atPooledPoint: sum(cf.pooledScores),
    ...(fixedPoint ? { fixed: { point: fixedPoint, summary: sum(scoreAt(folds, fixedPoint)) } } : {}),
  };
}
