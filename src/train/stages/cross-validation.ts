import { singleHead } from "../combination.js";
import { evaluateSet, predictionsOfSamples, toHeadLogits } from "../evaluate.js";
import type { HeadFitter } from "../head-fitter.js";
import type { HeadKind } from "../models.js";
import type { RunProgress } from "../progress.js";
import type { Logits, Sample } from "../sample.js";
import { samplesOf } from "../samples.js";
import { foldIndices } from "../split.js";
import { predictLogits } from "../trainer.js";
import type { EvaluationBasis, FoldResult, RunClip, TrainExportOptions } from "../types.js";
import type { RunFeatures } from "./features.js";
import type { RunSplits } from "./splits.js";

/** Out-of-fold predictions of one head over one fold assignment. */
export interface FoldPredictions {
  logits: Logits;
  /** the same patches' full-band features (negatives), for the bandwidth check */
  full: Logits;
  samples: Sample[];
  fullSamples: Sample[];
}

export interface CrossValidation {
  /** per head, per CV seed: each fold's out-of-fold predictions */
  oof: Record<HeadKind, Array<Map<number, FoldPredictions>>>;
  /** each head alone, per seed and fold (uncalibrated, thresholds 0.5) */
  foldResults: FoldResult[];
  cvSeconds: number;
}

export interface CrossValidationInput {
  clips: RunClip[];
  splits: RunSplits;
  features: Pick<RunFeatures, "usable" | "copiesFor" | "mapShape">;
  basis: EvaluationBasis;
  fitter: HeadFitter;
  progress: RunProgress;
  o: Pick<TrainExportOptions, "folds" | "seeds" | "mnv3Seeds" | "seed" | "log">;
}

/**
 * Stage 4, grouped cross-validation: per head, per fold assignment (`seeds` for FC, `mnv3Seeds` for
 * MobileNetV3) and per fold, a head trained on the other folds predicts the held-out one.
 */
export async function crossValidate(input: CrossValidationInput): Promise<CrossValidation> {
  const { clips, splits, features, basis, fitter, progress, o } = input;
  const { usable, mapShape } = features;
  const foldBar = progress.bar("CV folds", o.folds * (o.seeds + o.mnv3Seeds));
  const oof: CrossValidation["oof"] = { fc: [], mnv3: [] };
  const foldResults: FoldResult[] = [];
  const tCv = performance.now();
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const seeds = kind === "fc" ? o.seeds : o.mnv3Seeds;
    for (let s = 0; s < seeds; s++) {
      const perFold = new Map<number, FoldPredictions>();
      for (let f = 0; f < o.folds; f++) {
        const { train, heldOut } = foldIndices(splits.foldsBySeed[s], f);
        const trainIds = train.map((k) => splits.trainDev[k]).filter((i) => usable.has(i));
        const evalIds = heldOut.map((k) => splits.trainDev[k]).filter((i) => usable.has(i));
        foldBar?.update({ extra: `${kind} seed ${s} fold ${f + 1}/${o.folds}` });
        const trained = await fitter.fit({
          kind,
          trainIds,
          seed: o.seed * 100 + s * 10 + f,
          copies: features.copiesFor(s),
          showEpochs: true,
        });
        const evalSamples = samplesOf(clips, evalIds);
        const fullSamples = samplesOf(clips, evalIds, "featsFull");
        const logits = predictLogits(trained.model, kind, evalSamples, mapShape);
        const full = predictLogits(trained.model, kind, fullSamples, mapShape);
        trained.model.dispose();
        perFold.set(f, { logits, full, samples: evalSamples, fullSamples });
        const single = singleHead(kind);
        const metrics = evaluateSet({
          preds: predictionsOfSamples(toHeadLogits(logits, logits), single, evalSamples),
          ...basis,
          cryThreshold: 0.5,
          unsureThreshold: 0.5,
          fullBand: predictionsOfSamples(toHeadLogits(full, full), single, fullSamples),
          yamnetCry: Float64Array.from(evalSamples.map((x) => x.features.yamnetCry[x.patch])),
          bootstrapReps: 0,
          seed: o.seed,
        });
        foldResults.push({
          seed: s,
          fold: f,
          head: kind,
          metrics,
          bestEpoch: trained.bestEpoch,
          epochs: trained.history.length,
        });
        foldBar?.increment();
        o.log(
          `  ${kind} seed ${s} fold ${f + 1}: reason macro-F1 ${metrics.reason.macroF1.toFixed(3)} bal.acc ${metrics.reason.balancedAccuracy.toFixed(3)}, cry AUC ${metrics.cryPatchAuc.toFixed(4)} (full-band neg. ${metrics.cryPatchAucFullBandNegatives?.toFixed(4)}), best epoch ${trained.bestEpoch}/${trained.history.length}`,
        );
      }
      oof[kind].push(perFold);
    }
  }
  const cvSeconds = (performance.now() - tCv) / 1000;
  o.log(
    `Cross-validation: ${cvSeconds.toFixed(1)} s (${fitter.hits} fits from the cache, ${fitter.misses} trained)`,
  );
  return { oof, foldResults, cvSeconds };
}

/** The folds' predictions end to end: logits, samples, clip ids and each patch's fold. */
export function concatFolds(
  perFold: Map<number, FoldPredictions>,
  folds: number,
  which: "logits" | "full" = "logits",
): { logits: Logits; ids: number[]; samples: Sample[]; fold: Int32Array } {
  const cry: number[] = [];
  const reason: number[] = [];
  const samples: Sample[] = [];
  const fold: number[] = [];
  for (let f = 0; f < folds; f++) {
    const r = perFold.get(f);
    if (!r) continue;
    const l = r[which];
    for (const v of l.cry) cry.push(v);
    for (const v of l.reason) reason.push(v);
    for (const x of which === "full" ? r.fullSamples : r.samples) {
      samples.push(x);
      fold.push(f);
    }
  }
  return {
    logits: { cry: Float32Array.from(cry), reason: Float32Array.from(reason) },
    ids: samples.map((x) => x.clip),
    samples,
    fold: Int32Array.from(fold),
  };
}
