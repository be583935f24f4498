import type { FoldFeatures } from "../dev/benchmark/features.js";
import { REASONS, type ReasonProbabilities, reasonProbabilities } from "../events.js";

/**
 * Whether the heads' reason probabilities depend on what they hear. Measured over every window of the benchmark's
 * streams (cries, every negative source, the background; the band-limited pass the daemon runs for reasons): their
 * mean, and the largest difference of any window's probability of any reason from it. When that is within
 * `tolerance`, the heads say the same for every sound, and the daemon can attach these probabilities without
 * loading the heads or running their YAMNet pass (manifest `detector.reasons`, src/inference/detector-analyzer.ts).
 */

/** A reason probability may differ from the mean by this much and still count as the same for every window. */
export const CONSTANT_REASONS_TOLERANCE = 0.005;

export interface ReasonsMeasurement {
  /** the heads measured (`name@version`) */
  headsVersion: string;
  /** mean over the windows (REASONS order as in the events), rounded to 1e-6 */
  probabilities: ReasonProbabilities;
  /** the largest |p − mean| over windows and reasons */
  maxDeviation: number;
  windows: number;
}

/** The heads' reasons over the streams; null when the features carry none (no heads scored). */
export function measureReasons(features: readonly FoldFeatures[]): ReasonsMeasurement | null {
  const version = features[0]?.headsVersion;
  if (!version || features.some((f) => f.headsReasons === null || f.headsVersion !== version)) return null;
  const k = REASONS.length;
  const sum = new Float64Array(k);
  let n = 0;
  for (const f of features) {
    const r = f.headsReasons!;
    for (let i = 0; i < r.length; i++) sum[i % k] += r[i];
    n += r.length / k;
  }
  if (n === 0) return null;
  const mean = Array.from(sum, (s) => s / n);
  let maxDeviation = 0;
  for (const f of features) {
    const r = f.headsReasons!;
    for (let i = 0; i < r.length; i++) maxDeviation = Math.max(maxDeviation, Math.abs(r[i] - mean[i % k]));
  }
  return {
    headsVersion: version,
    probabilities: reasonProbabilities((_, j) => Number(mean[j].toFixed(6))),
    maxDeviation: Number(maxDeviation.toPrecision(3)),
    windows: n,
  };
}

/** The measurement when the heads say the same for every window (within `tolerance`), else null. */
export function constantReasons(
  m: ReasonsMeasurement | null,
  tolerance = CONSTANT_REASONS_TOLERANCE,
): ReasonsMeasurement | null {
  return m && m.maxDeviation <= tolerance ? m : null;
}
