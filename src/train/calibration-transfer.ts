import { applyPlatt, type Platt } from "../dev/benchmark/calibration.js";

/**
 * Whether the shipped model's calibration describes it: the calibration and operating point are fitted on the
 * per-fold models' out-of-fold logits, and the shipped model is retrained on every fold. On every benchmark window
 * both are calibrated the same way and compared: the mean absolute difference of the probability, and the share of
 * windows on which one is over the threshold and the other not.
 */
export interface CalibrationTransfer {
  windows: number;
  meanAbsDiff: number;
  /** share of windows where exactly one of the two is over the threshold */
  crossings: number;
}

/** Above this mean difference the benchmark's figures do not describe the shipped model well (as the ECE goal). */
export const TRANSFER_TOLERANCE = 0.05;

/** Whether the fold models' calibration describes the shipped model (mean difference within the tolerance). */
export const withinTolerance = (t: CalibrationTransfer): boolean => t.meanAbsDiff <= TRANSFER_TOLERANCE;

export function calibrationTransfer(
  shipped: readonly Float32Array[],
  outOfFold: readonly Float32Array[],
  platt: Platt,
  threshold: number,
): CalibrationTransfer {
  let n = 0;
  let diff = 0;
  let crossings = 0;
  shipped.forEach((z, k) => {
    if (z.length !== outOfFold[k].length)
      throw new RangeError(
        `fold ${k}: ${z.length} shipped logits, ${outOfFold[k].length} out-of-fold logits`,
      );
    const a = applyPlatt(z, platt);
    const b = applyPlatt(outOfFold[k], platt);
    for (let i = 0; i < a.length; i++) {
      diff += Math.abs(a[i] - b[i]);
      if (a[i] > threshold !== b[i] > threshold) crossings++;
    }
    n += a.length;
  });
  return { windows: n, meanAbsDiff: n ? diff / n : 0, crossings: n ? crossings / n : 0 };
}

/** The transfer of `shipped` under the shipped calibration, logged in one line (with a warning over the tolerance). */
export function measuredTransfer(
  shipped: readonly Float32Array[],
  outOfFold: readonly Float32Array[],
  calibration: { platt: Platt; point: { threshold: number } },
  log: (line: string) => void,
): CalibrationTransfer {
  const t = calibrationTransfer(shipped, outOfFold, calibration.platt, calibration.point.threshold);
  log(
    `calibration transfer: over ${t.windows} windows the shipped model's calibrated probability differs from the fold models' by ${t.meanAbsDiff.toFixed(4)} on average, and ${(100 * t.crossings).toFixed(2)} % of windows are on the other side of the threshold${withinTolerance(t) ? "" : ` — over the tolerance of ${TRANSFER_TOLERANCE}: the benchmark's figures do not describe the shipped model well`}`,
  );
  return t;
}
