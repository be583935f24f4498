import type { Combination } from "../../inference/heads.js";
import { chooseCombination, chooseThresholds, cryLogit } from "../combination.js";
import { evaluateSet, predictionsFrom, type SetMetrics, toHeadLogits } from "../evaluate.js";
import type { HeadKind } from "../models.js";
import type { Sample } from "../sample.js";
import { chooseYamnetStack, type StackChoice, type StackFigures } from "../stack.js";
import type { EvaluationBasis, FoldResult, RunClip, Thresholds, TrainExportOptions } from "../types.js";
import { type CrossValidation, concatFolds } from "./cross-validation.js";
import type { RunFeatures } from "./features.js";

/** The combination and thresholds chosen on the out-of-fold predictions, and the CV figures they give. */
export interface Calibration {
  combination: Combination;
  thresholds: Thresholds;
  /** the second-level CV on YAMNet's evidence; null when not tried */
  stackChoice: StackChoice | null;
  /** YAMNet's class logits of `samples` when the combination weighs them; otherwise undefined */
  evidenceFor: (samples: Sample[]) => Float32Array | undefined;
  /** the calibrated combination per seed and fold, for seeds where both heads were cross-validated */
  cvCombined: FoldResult[];
  /** pooled out-of-fold figures of seed 0, with bootstrap intervals over groups */
  cvPooled: SetMetrics;
  /** the same of each head alone, calibrated alone */
  cvPooledByHead: Record<string, SetMetrics>;
}

export interface CalibrationInput {
  clips: RunClip[];
  cv: CrossValidation;
  features: Pick<RunFeatures, "yamnetLogits">;
  basis: EvaluationBasis;
  o: Pick<
    TrainExportOptions,
    "folds" | "seeds" | "mnv3Seeds" | "yamnetStack" | "bootstrapReps" | "seed" | "log"
  >;
}

/**
 * Stage 5, combination and calibration, chosen on out-of-fold validation predictions only: the heads' weights,
 * Platt scaling, reason temperature and biases, whether YAMNet's evidence joins the cry logit, and the thresholds.
 */
export function calibrate(input: CalibrationInput): Calibration {
  const { clips, cv, features, basis, o } = input;
  const { oof } = cv;
  const fc0 = concatFolds(oof.fc[0], o.folds);
  const mn0 = concatFolds(oof.mnv3[0], o.folds);
  const isCry0 = Uint8Array.from(fc0.ids.map((id) => (clips[id].isCry ? 1 : 0)));
  const reason0 = Int32Array.from(fc0.ids.map((id) => clips[id].reason));
  let combination = chooseCombination(toHeadLogits(fc0.logits, mn0.logits), isCry0, reason0);
  let stackChoice: StackChoice | null = null;
  if (o.yamnetStack) {
    const z = cryLogit(toHeadLogits(fc0.logits, mn0.logits), combination.cry.fcWeight);
    stackChoice = chooseYamnetStack(z, features.yamnetLogits(fc0.samples), isCry0, fc0.fold);
    const { stack } = stackChoice;
    if (stack) {
      combination = {
        ...combination,
        cry: {
          fcWeight: combination.cry.fcWeight,
          scale: stack.scale,
          bias: stack.bias,
          yamnet: stack.weights,
        },
      };
    }
    const f = (x: StackFigures) =>
      `log-loss ${x.logLoss.toFixed(4)}, AUC ${x.auc.toFixed(4)}, false positives at 90 % recall ${(100 * x.fprAtTpr90).toFixed(2)} %`;
    o.log(
      `YAMNet evidence (second-level grouped CV on out-of-fold patches): Platt alone ${f(stackChoice.platt)}; ${stackChoice.byLambda.map((b) => `λ ${b.lambda}: ${f(b)}`).join("; ")} → ${stack ? `used, λ ${stackChoice.lambda}` : "not used"}`,
    );
  }
  const weighsYamnet = Boolean(combination.cry.yamnet);
  const evidenceFor = (samples: Sample[]) => (weighsYamnet ? features.yamnetLogits(samples) : undefined);
  const oofPreds = predictionsFrom(
    toHeadLogits(fc0.logits, mn0.logits, evidenceFor(fc0.samples)),
    combination,
    Int32Array.from(fc0.ids),
    isCry0,
  );
  const thresholds = chooseThresholds(oofPreds, basis.clips);
  o.log(
    `Combination (chosen on out-of-fold validation predictions): ${JSON.stringify(combination)}; thresholds ${JSON.stringify(thresholds)}`,
  );
  // CV figures of every head with the calibrated combination, per fold, for seeds where both heads exist
  const cvCombined: FoldResult[] = [];
  for (let s = 0; s < Math.min(o.seeds, o.mnv3Seeds); s++) {
    for (let f = 0; f < o.folds; f++) {
      const a = oof.fc[s].get(f)!;
      const b = oof.mnv3[s].get(f)!;
      const ids = Int32Array.from(a.samples, (x) => x.clip);
      const isCry = Uint8Array.from(a.samples, (x) => x.cry);
      const metrics = evaluateSet({
        preds: predictionsFrom(
          toHeadLogits(a.logits, b.logits, evidenceFor(a.samples)),
          combination,
          ids,
          isCry,
        ),
        ...basis,
        cryThreshold: thresholds.cry,
        unsureThreshold: thresholds.unsure,
        fullBand: predictionsFrom(
          toHeadLogits(a.full, b.full, evidenceFor(a.fullSamples)),
          combination,
          ids,
          isCry,
        ),
        bootstrapReps: 0,
        seed: o.seed,
      });
      cvCombined.push({ seed: s, fold: f, head: "combined", metrics });
    }
  }
  // pooled out-of-fold figures with bootstrap intervals over groups (seed 0, all folds)
  const fcFull0 = concatFolds(oof.fc[0], o.folds, "full");
  const mnFull0 = concatFolds(oof.mnv3[0], o.folds, "full");
  const ids0 = Int32Array.from(fc0.ids);
  const pooledFigures = {
    ...basis,
    cryThreshold: thresholds.cry,
    unsureThreshold: thresholds.unsure,
    bootstrapReps: o.bootstrapReps,
    seed: o.seed,
  };
  const cvPooled = evaluateSet({
    preds: oofPreds,
    fullBand: predictionsFrom(
      toHeadLogits(fcFull0.logits, mnFull0.logits, evidenceFor(fcFull0.samples)),
      combination,
      ids0,
      isCry0,
    ),
    ...pooledFigures,
  });
  const cvPooledByHead: Record<string, SetMetrics> = {};
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const l = kind === "fc" ? fc0 : mn0;
    const lf = kind === "fc" ? fcFull0 : mnFull0;
    // each head calibrated alone on the same out-of-fold predictions
    const single = chooseCombination(toHeadLogits(l.logits, l.logits), isCry0, reason0);
    const ids = Int32Array.from(l.ids);
    cvPooledByHead[kind] = evaluateSet({
      preds: predictionsFrom(toHeadLogits(l.logits, l.logits), single, ids, isCry0),
      fullBand: predictionsFrom(toHeadLogits(lf.logits, lf.logits), single, ids, isCry0),
      ...pooledFigures,
    });
  }
  return { combination, thresholds, stackChoice, evidenceFor, cvCombined, cvPooled, cvPooledByHead };
}
