import type { SequenceCandidateSpec } from "../dev/benchmark/temporal.js";
import { type CalibrationTransfer, measuredTransfer } from "./calibration-transfer.js";
import type { ShippedCalibration } from "./detector-block.js";
import { fullBandLogits, type LogitPool } from "./sequence-data.js";
import { type SequenceWeights, streamLogits } from "./sequence-model.js";
import { trainSequence } from "./sequence-train.js";

export interface FinalSequenceInput {
  spec: SequenceCandidateSpec;
  pool: LogitPool;
  /** the benchmark folds, in the order of `outOfFold` */
  folds: readonly number[];
  /** the held-out sources: never trained on */
  held: ReadonlySet<string>;
  /** the per-fold models' out-of-fold logits: what the shipped calibration was fitted on */
  outOfFold: readonly Float32Array[];
  calibration: ShippedCalibration;
  log: (line: string) => void;
}

/**
 * The shipped `sequence` detector: the temporal model retrained on every stream but the held-out sources' windows,
 * and how well the calibration fitted on the per-fold models' out-of-fold logits describes it
 * (calibration-transfer.ts), as for a `classes` detector (final-classes.ts).
 */
export function finalSequence(o: FinalSequenceInput): {
  weights: SequenceWeights;
  transfer: CalibrationTransfer;
} {
  o.log(`final ${o.spec.name}: training on every source but the ${o.held.size} held out`);
  const t = trainSequence(o.pool, o.spec.recipe, () => true, o.held);
  o.log(`${o.spec.name}: ${t.sequences} sequences in ${t.seconds.toFixed(0)} s`);
  const shipped = o.folds.map((k) => {
    const s = o.pool.streams.find((x) => x.fold === k);
    if (!s) throw new Error(`no pooled stream of fold ${k}`);
    return streamLogits(fullBandLogits(o.pool, s), t.weights);
  });
  const transfer = measuredTransfer(shipped, o.outOfFold, o.calibration, o.log);
  return { weights: t.weights, transfer };
}
