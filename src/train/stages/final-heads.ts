import type * as tfl from "@tensorflow/tfjs-layers";
import type { Combination } from "../../inference/heads.js";
import { chooseThresholds, recalibrate } from "../combination.js";
import {
  evaluateSet,
  type PatchPredictions,
  predictEnsembleLogits,
  predictionsFrom,
  predictionsOfSamples,
  type SetMetrics,
  toHeadLogits,
} from "../evaluate.js";
import { applyQuantization } from "../export.js";
import type { HeadFitter } from "../head-fitter.js";
import type { HeadKind } from "../models.js";
import type { RunProgress } from "../progress.js";
import type { Sample } from "../sample.js";
import { samplesOf } from "../samples.js";
import type { EpochRecord } from "../trainer.js";
import type { EvaluationBasis, RunClip, Thresholds, TrainExportOptions } from "../types.js";
import type { Calibration } from "./calibration.js";
import type { RunFeatures } from "./features.js";

/** An exported head: its ensemble members (quantized as exported) and the first member's training history. */
export interface FinalHead {
  models: tfl.LayersModel[];
  history: EpochRecord[];
}

export interface FinalHeads {
  fc: FinalHead;
  mnv3: FinalHead;
  /** the exported combination: cry Platt scaling refitted on the final inner validation split */
  combination: Combination;
  thresholds: Thresholds;
}

export interface FinalHeadsInput {
  clips: RunClip[];
  /** the usable train/dev clips */
  finalIds: number[];
  features: Pick<RunFeatures, "copiesFor" | "mapShape">;
  calibration: Pick<Calibration, "combination" | "thresholds" | "evidenceFor">;
  basis: EvaluationBasis;
  fitter: HeadFitter;
  progress: RunProgress;
  o: Pick<TrainExportOptions, "ensemble" | "seed" | "log">;
}

/**
 * Stage 6a, final heads: each head's ensemble trained on all train/dev data, quantized (what is evaluated is what
 * is exported), and the cry calibration refitted on the final training's inner validation split.
 */
export async function trainFinalHeads(input: FinalHeadsInput): Promise<FinalHeads> {
  const { clips, finalIds, features, calibration, basis, fitter, progress, o } = input;
  const { mapShape } = features;
  const finals: Partial<Record<HeadKind, FinalHead>> = {};
  const finalBar = progress.bar("final", 2 * o.ensemble);
  let finalValIds: number[] = [];
  const finalSeed = o.seed * 100 + 99;
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const models: tfl.LayersModel[] = [];
    let history: EpochRecord[] = [];
    for (let m = 0; m < o.ensemble; m++) {
      finalBar?.update({ extra: `${kind} ${m + 1}/${o.ensemble}` });
      // members differ in initialisation, dropout, mixup and batch order; all share the inner validation split,
      // so the calibration below sees patches none of them trained on
      const trained = await fitter.fit({
        kind,
        trainIds: finalIds,
        seed: finalSeed + 1000 * m,
        copies: features.copiesFor(0),
        showEpochs: true,
        splitSeed: finalSeed,
      });
      applyQuantization(trained.model); // evaluate exactly what is exported
      finalValIds = trained.valIds;
      models.push(trained.model);
      if (m === 0) history = trained.history;
      finalBar?.increment();
    }
    finals[kind] = { models, history };
  }
  const fc = finals.fc!;
  const mnv3 = finals.mnv3!;
  // Calibration of the exported heads. Cry: Platt scaling and threshold refitted on the final training's inner
  // grouped validation split (the final heads' logit scale differs from the CV heads'; ~1000 patches is plenty
  // for two parameters). Reasons: temperature, biases and the unsure threshold stay as fitted on the ~370
  // out-of-fold cry clips of the CV — the inner split's ~60 cry clips are too few and fit noise.
  const finalVal = samplesOf(clips, finalValIds);
  const finalValLogits = toHeadLogits(
    predictEnsembleLogits(fc.models, "fc", finalVal, mapShape),
    predictEnsembleLogits(mnv3.models, "mnv3", finalVal, mapShape),
    calibration.evidenceFor(finalVal),
  );
  const finalValCry = Uint8Array.from(finalVal.map((x) => x.cry));
  const combination: Combination = {
    cry: recalibrate(
      finalValLogits,
      finalValCry,
      Int32Array.from(finalVal.map((x) => x.reason)),
      calibration.combination,
    ).cry,
    reason: calibration.combination.reason,
  };
  const thresholds = {
    cry: chooseThresholds(predictionsOfSamples(finalValLogits, combination, finalVal), basis.clips).cry,
    unsure: calibration.thresholds.unsure,
  };
  o.log(
    `Exported calibration (cry: final inner validation split; reasons: out-of-fold): ${JSON.stringify(combination)}; thresholds ${JSON.stringify(thresholds)}`,
  );
  return { fc, mnv3, combination, thresholds };
}

/** The exported heads on the hold-out test split. */
export interface TestEvaluation {
  /** test patches, band-limited (the policy) and with full-band negatives */
  samples: Sample[];
  fullSamples: Sample[];
  isCry: Uint8Array;
  preds: PatchPredictions;
  fullBandPreds: PatchPredictions;
  metrics: SetMetrics;
}

export interface TestInput {
  clips: RunClip[];
  /** the usable test clips */
  testIds: number[];
  finals: FinalHeads;
  evidenceFor: Calibration["evidenceFor"];
  basis: EvaluationBasis;
  mapShape: [number, number, number];
  o: Pick<TrainExportOptions, "bootstrapReps" | "seed">;
}

/** Stage 6b, test: the exported heads evaluated once on the untouched hold-out test split. */
export function evaluateOnTest(input: TestInput): TestEvaluation {
  const { clips, testIds, finals, evidenceFor, basis, mapShape, o } = input;
  const samples = samplesOf(clips, testIds);
  const fullSamples = samplesOf(clips, testIds, "featsFull");
  const logits = (kind: HeadKind, xs: Sample[]) =>
    predictEnsembleLogits(finals[kind].models, kind, xs, mapShape);
  const fc = logits("fc", samples);
  const mn = logits("mnv3", samples);
  const fcFull = logits("fc", fullSamples);
  const mnFull = logits("mnv3", fullSamples);
  const isCry = Uint8Array.from(samples.map((s) => s.cry));
  const clipIdx = Int32Array.from(samples.map((s) => s.clip));
  const preds = predictionsFrom(
    toHeadLogits(fc, mn, evidenceFor(samples)),
    finals.combination,
    clipIdx,
    isCry,
  );
  const fullBandPreds = predictionsFrom(
    toHeadLogits(fcFull, mnFull, evidenceFor(fullSamples)),
    finals.combination,
    clipIdx,
    isCry,
  );
  const metrics = evaluateSet({
    preds,
    ...basis,
    cryThreshold: finals.thresholds.cry,
    unsureThreshold: finals.thresholds.unsure,
    fullBand: fullBandPreds,
    yamnetCry: Float64Array.from(samples.map((s) => s.features.yamnetCry[s.patch])),
    bootstrapReps: o.bootstrapReps,
    seed: o.seed + 5,
  });
  return { samples, fullSamples, isCry, preds, fullBandPreds, metrics };
}
