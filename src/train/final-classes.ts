import {
  type CandidateFold,
  type CandidateSpec,
  foldInputs,
  trainingSet,
} from "../dev/benchmark/candidates.js";
import type { FoldFeatures } from "../dev/benchmark/features.js";
import { type CalibrationTransfer, measuredTransfer } from "./calibration-transfer.js";
import type { ShippedCalibration } from "./detector-block.js";
import {
  type ClassWeights,
  evidenceLogits,
  fitEvidenceHead,
  linearClassWeights,
  YAMNET_CLASSES,
  type YamnetClassifier,
} from "./evidence-head.js";

export interface FinalClassesInput {
  head: CandidateSpec;
  features: readonly FoldFeatures[];
  classifier: YamnetClassifier;
  /** the held-out sources: never trained on */
  held: ReadonlySet<string>;
  /** the per-fold models, logged beside the final one */
  folds: readonly CandidateFold[];
  /** their out-of-fold logits, per fold: what the shipped calibration was fitted on */
  outOfFold: readonly Float32Array[];
  calibration: ShippedCalibration;
  log: (line: string) => void;
}

/**
 * The shipped `classes` detector: the linear head retrained on every fold's windows but the held-out sources', as
 * one weight per class logit, and how well the calibration fitted on the per-fold models' out-of-fold logits
 * describes it (calibration-transfer.ts).
 */
export function finalClasses(o: FinalClassesInput): {
  classes: ClassWeights;
  transfer: CalibrationTransfer;
} {
  const t0 = performance.now();
  const indices = o.head.head.classes ?? Array.from({ length: YAMNET_CLASSES }, (_, c) => c);
  const set = trainingSet(o.features, o.head, o.classifier, o.held);
  const weights = fitEvidenceHead(set, o.head.head);
  const classes = linearClassWeights(weights, indices);
  const text = (c: ClassWeights) =>
    `z = ${indices.length <= 8 ? indices.map((k, i) => `${c.weights[i].toFixed(3)}·logit[${k}]`).join(" + ") : `${indices.length} class logits`} + ${c.bias.toFixed(3)}`;
  o.log(
    `final ${o.head.name}: trained on ${set.labels.length} windows in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${text(classes)}`,
  );
  for (const f of o.folds) o.log(`  fold ${f.fold}'s model: ${text(linearClassWeights(f.weights, indices))}`);
  const shipped = o.features.map((f) => evidenceLogits(foldInputs(f, o.classifier).full, weights));
  const transfer = measuredTransfer(shipped, o.outOfFold, o.calibration, o.log);
  return { classes, transfer };
}
