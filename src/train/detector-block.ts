import { applyPlatt, type CalibrationLabels, fitPlatt, type Platt } from "../dev/benchmark/calibration.js";
import type { ScoreResult } from "../dev/benchmark/evaluate.js";
import type { FoldFeatures } from "../dev/benchmark/features.js";
import { LEFT_OUT, windowLabels } from "../dev/benchmark/labels.js";
import {
  choosePoint,
  type OperatingPoint,
  pointGrid,
  type ScoredFold,
  scoreGrid,
} from "../dev/benchmark/operating-point.js";
import type { CalibrationTransfer } from "./calibration-transfer.js";
import type { ReasonsMeasurement } from "./constant-reasons.js";
import type { ClassWeights } from "./evidence-head.js";
import type { HeldOut } from "./held-out.js";

/**
 * The `detector` block of models/babymon-heads/manifest.json (the contract with the daemon, issue 14): which cry
 * score the daemon runs, its Platt calibration, the operating point on the calibrated probability, the temporal
 * model's folder when there is one, the benchmark figures, and the clips the detector never trained on and its
 * calibration and point were not chosen on.
 */
export interface DetectorBlock {
  source: "yamnet" | "sequence" | "classes";
  /**
   * p = sigmoid(a · z + b); z = logit of YAMNet's cry score (yamnet), the model's output logit (sequence), or
   * Σ classes.weights[i] · YAMNet's logit of class classes.indices[i] + classes.bias (classes)
   */
  calibration: { a: number; b: number };
  point: OperatingPoint;
  sequence?: { dir: string; windows: number; features: "yamnet-logits" };
  classes?: ClassWeights;
  benchmark: {
    recall: number;
    falsePerHour: number;
    latencyP95Sec: number;
    ece: number;
    run: string;
    /** for a retrained model: how well the calibration of the fold models describes it (calibration-transfer.ts) */
    transfer?: CalibrationTransfer;
  };
  heldOut: { speech: string[]; cat: string[]; toddler: string[]; cry: string[] };
  /** the heads' reasons, when they are the same for every window of the benchmark (constant-reasons.ts) */
  reasons?: ReasonsMeasurement;
}

/** The held-out clips by what the daemon's test checks (speech, cat, toddler, cry), paths relative to ../shared. */
export function heldOutLists(h: HeldOut): DetectorBlock["heldOut"] {
  const of = (category: string | null, kind: "cry" | "negative") =>
    h.clips.filter((c) => c.kind === kind && (kind === "cry" || c.category === category)).map((c) => c.file);
  return {
    speech: of("speech", "negative"),
    cat: of("cat", "negative"),
    toddler: of("toddler", "negative"),
    cry: of(null, "cry"),
  };
}

/**
 * A fold as it counts for choosing the shipped point: every event of a held-out source (a cry of a held-out family,
 * a held-out negative, a cry over a held-out negative) removed, its windows scored 0 (so no episode starts there)
 * and its time taken off the stream's duration (so it adds no background exposure either).
 */
export function withoutHeldOut(f: ScoredFold, held: ReadonlySet<string>): ScoredFold {
  const hit = f.events.filter(
    (e) => held.has(e.source) || (e.under !== undefined && held.has(e.under.source)),
  );
  if (hit.length === 0) return f;
  const windows = f.windows.map((w) =>
    hit.some((e) => w.startSec < e.end && w.endSec > e.start) ? { ...w, cry: 0 } : w,
  );
  const removed = hit.reduce((s, e) => s + (e.end - e.start), 0);
  return {
    ...f,
    windows,
    events: f.events.filter((e) => !hit.includes(e)),
    durationSec: f.durationSec - removed,
  };
}

export interface ShippedCalibration {
  platt: Platt;
  point: OperatingPoint;
}

/**
 * The shipped detector's calibration and point, from the benchmark's out-of-fold logits (every logit from a model
 * that never heard that source) with the held-out sources left out of both: Platt fitted on every other labelled
 * window, the point the one finding the most cries at ≤ budget false episodes/h over all folds.
 */
export function shippedCalibration(
  logits: readonly Float32Array[],
  features: readonly FoldFeatures[],
  cal: readonly CalibrationLabels[],
  scored: (k: number, probs: Float32Array) => ScoredFold,
  held: ReadonlySet<string>,
  budgetPerHour: number,
): ShippedCalibration {
  const z: number[] = [];
  const y: number[] = [];
  features.forEach((f, k) => {
    const labels = windowLabels(f.startSec, f.info.events, f.activity);
    for (const [m, i] of cal[k].keep.entries()) {
      if (labels[i].label === LEFT_OUT || labels[i].sources.some((s) => held.has(s))) continue;
      z.push(logits[k][i]);
      y.push(cal[k].labels[m]);
    }
  });
  const platt = fitPlatt(z, y);
  const grid = pointGrid();
  const scores = logits.map((l, k) => scoreGrid(withoutHeldOut(scored(k, applyPlatt(l, platt)), held), grid));
  return { platt, point: grid[choosePoint(grid, scores, budgetPerHour)] };
}

export function detectorBlock(
  source: DetectorBlock["source"],
  shipped: ShippedCalibration,
  result: ScoreResult,
  heldOut: HeldOut,
  run: string,
  extra: {
    sequence?: { dir: string; windows: number };
    classes?: DetectorBlock["classes"];
    transfer?: CalibrationTransfer;
    reasons?: ReasonsMeasurement | null;
  } = {},
): DetectorBlock {
  const { sequence, classes, transfer, reasons } = extra;
  const r = result.crossFitted;
  const round = (x: number, d = 4) => Number(x.toFixed(d));
  return {
    source,
    calibration: { a: round(shipped.platt.scale, 6), b: round(shipped.platt.bias, 6) },
    point: shipped.point,
    ...(sequence ? { sequence: { ...sequence, features: "yamnet-logits" as const } } : {}),
    ...(classes
      ? {
          classes: {
            indices: classes.indices,
            weights: classes.weights.map((w) => round(w, 6)),
            bias: round(classes.bias, 6),
          },
        }
      : {}),
    benchmark: {
      recall: round(r.recall.value),
      falsePerHour: round(r.falsePerHour.value),
      latencyP95Sec: round(r.latencyP95Sec.value, 2),
      ece: round(result.ece ?? Number.NaN),
      run,
      ...(transfer
        ? {
            transfer: {
              windows: transfer.windows,
              meanAbsDiff: round(transfer.meanAbsDiff),
              crossings: round(transfer.crossings, 5),
            },
          }
        : {}),
    },
    heldOut: heldOutLists(heldOut),
    ...(reasons ? { reasons } : {}),
  };
}
