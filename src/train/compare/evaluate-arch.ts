import * as tf from "@tensorflow/tfjs-core";
import { countParams, multiplyAdds } from "../archs/index.js";
import { singleHead } from "../combination.js";
import {
  evaluateSet,
  type PatchPredictions,
  predictionsOfSamples,
  type SetMetrics,
  toHeadLogits,
} from "../evaluate.js";
import type { Logits, Sample } from "../sample.js";
import { samplesOf } from "../samples.js";
import { foldIndices } from "../split.js";
import { leakyProtocolWith } from "../stages/diagnostics.js";
import type { RunFeatures } from "../stages/features.js";
import type { RunSplits } from "../stages/splits.js";
import type { EvaluationBasis, RunClip, TrainExportOptions } from "../types.js";
import type { ArchFitter, ArchProtocol, ArchResult, CompareEpoch } from "./types.js";

/** What evaluating or exporting an arch starts from: its fitter, protocol and recipe, and the run's data. */
export interface ArchSetUp {
  fitter: ArchFitter;
  protocol: ArchProtocol;
  recipe: string;
  clips: RunClip[];
  splits: RunSplits;
  features: Pick<RunFeatures, "usable" | "copiesFor">;
}

export interface ArchEvaluationInput extends ArchSetUp {
  basis: EvaluationBasis;
  /** ms per patch of what runs in front of the model in the daemon (YAMNet for its heads; 0 for patch archs) */
  frontMsPerPatch: number;
  paramsNote: string;
  o: Pick<TrainExportOptions, "seed" | "leaky" | "bootstrapReps" | "log">;
}

/** The pooled out-of-fold predictions of CV seed 0, for the arch's figures. */
export interface ArchEvaluation {
  result: ArchResult;
  oof: PatchPredictions;
  oofFull: PatchPredictions;
  curves: Record<string, CompareEpoch[]>;
}

const concat = (parts: Logits[]): Logits => ({
  cry: Float32Array.from(parts.flatMap((p) => Array.from(p.cry))),
  reason: Float32Array.from(parts.flatMap((p) => Array.from(p.reason))),
});

function predictions(l: Logits, samples: Sample[]): PatchPredictions {
  return predictionsOfSamples(toHeadLogits(l, l), singleHead("fc"), samples);
}

/**
 * One arch through the comparison's protocol: grouped CV (the run's fold assignments; the first
 * `protocol.folds` folds of `protocol.cvSeeds` assignments), uncalibrated (sigmoid / softmax of the logits, the
 * same for every arch), pooled out-of-fold figures with bootstrap intervals over groups, the leaky protocol,
 * parameters, multiply-adds, and inference time per patch.
 */
export async function evaluateArch(input: ArchEvaluationInput): Promise<ArchEvaluation> {
  const { fitter, protocol, clips, splits, features, basis, o } = input;
  const { usable } = features;
  const t0 = performance.now();
  const folds: ArchResult["folds"] = [];
  const curves: Record<string, CompareEpoch[]> = {};
  const pooled: { l: Logits[]; full: Logits[]; samples: Sample[]; fullSamples: Sample[] } = {
    l: [],
    full: [],
    samples: [],
    fullSamples: [],
  };
  const epochs: CompareEpoch[] = [];
  let stopped = 0;
  let fits = 0;
  const bestEpochs: number[] = [];
  for (let s = 0; s < protocol.cvSeeds; s++) {
    for (let f = 0; f < protocol.folds; f++) {
      const { train, heldOut } = foldIndices(splits.foldsBySeed[s], f);
      const trainIds = train.map((k) => splits.trainDev[k]).filter((i) => usable.has(i));
      const evalIds = heldOut.map((k) => splits.trainDev[k]).filter((i) => usable.has(i));
      // the seed of stages/cross-validation.ts: the YAMNet heads' fits come from its fit cache
      const fitted = await fitter.fit({
        trainIds,
        seed: o.seed * 100 + s * 10 + f,
        copies: features.copiesFor(s),
      });
      const evalSamples = thinSamples(samplesOf(clips, evalIds), protocol.maxEvalPatchesPerClip);
      const fullSamples = thinSamples(samplesOf(clips, evalIds, "featsFull"), protocol.maxEvalPatchesPerClip);
      const l = fitted.predict(evalSamples);
      const full = fitted.predict(fullSamples);
      fitted.model.dispose();
      fits++;
      if (fitted.stoppedByBudget) stopped++;
      bestEpochs.push(fitted.bestEpoch);
      epochs.push(...fitted.history);
      if (s === 0) {
        curves[`fold ${f + 1}`] = fitted.history;
        pooled.l.push(l);
        pooled.full.push(full);
        pooled.samples.push(...evalSamples);
        pooled.fullSamples.push(...fullSamples);
      }
      const m = evaluateSet({
        preds: predictions(l, evalSamples),
        ...basis,
        cryThreshold: 0.5,
        unsureThreshold: 0.5,
        fullBand: predictions(full, fullSamples),
        bootstrapReps: 0,
        seed: o.seed,
      });
      folds.push(foldFigures(s, f, m, fitted.bestEpoch, fitted.history.length, fitted.seconds));
      o.log(
        `  ${fitter.arch} seed ${s} fold ${f + 1}/${protocol.folds}: reason macro-F1 ${m.reason.macroF1.toFixed(3)} bal.acc ${m.reason.balancedAccuracy.toFixed(3)}, cry AUC ${m.cryPatchAuc.toFixed(4)} (full-band neg. ${m.cryPatchAucFullBandNegatives?.toFixed(4)}), best epoch ${fitted.bestEpoch}/${fitted.history.length}, ${fitted.seconds.toFixed(0)} s${fitted.stoppedByBudget ? " (time budget)" : ""}`,
      );
    }
  }
  const oof = predictions(concat(pooled.l), pooled.samples);
  const oofFull = predictions(concat(pooled.full), pooled.fullSamples);
  const cvPooled: SetMetrics = evaluateSet({
    preds: oof,
    ...basis,
    cryThreshold: 0.5,
    unsureThreshold: 0.5,
    fullBand: oofFull,
    yamnetCry: Float64Array.from(pooled.samples, (x) => x.features.yamnetCry[x.patch]),
    bootstrapReps: o.bootstrapReps,
    seed: o.seed,
  });
  const leaky = o.leaky ? await leakyOf(input) : null;
  if (leaky) fits++;
  const trainSeconds = (performance.now() - t0) / 1000;
  const model = fitter.build(o.seed);
  const result: ArchResult = {
    arch: fitter.arch,
    protocol,
    recipe: input.recipe,
    params: countParams(model),
    multiplyAdds: multiplyAdds(model),
    paramsNote: input.paramsNote,
    cvPooled,
    folds,
    leaky,
    trainSeconds,
    epochSeconds: mean(epochs.map((e) => e.seconds ?? Number.NaN)),
    epochSamples: mean(epochs.map((e) => e.samples ?? Number.NaN)),
    fitsStoppedByBudget: stopped,
    fits,
    inferenceMsPerPatch: inferenceMs(model, fitter.inputShape) + input.frontMsPerPatch,
    inferenceBackend: tf.getBackend(),
    bestEpochs,
  };
  model.dispose();
  return { result, oof, oofFull, curves };
}

async function leakyOf(input: ArchEvaluationInput) {
  const { fitter, clips, splits, features, basis, o } = input;
  return leakyProtocolWith(
    {
      clips,
      finalIds: splits.trainDev.filter((i) => features.usable.has(i)),
      copies: features.copiesFor(0) ?? [],
      basis,
      o,
    },
    async (trainIds, copies, seed) => {
      const fitted = await fitter.fit({ trainIds, seed, copies });
      return (samples) => {
        const l = fitted.predict(samples);
        fitted.model.dispose();
        return l;
      };
    },
    (samples) => thinSamples(samples, input.protocol.maxEvalPatchesPerClip),
  );
}

function foldFigures(
  seed: number,
  fold: number,
  m: SetMetrics,
  bestEpoch: number,
  epochs: number,
  seconds: number,
) {
  return {
    seed,
    fold,
    reasonMacroF1: m.reason.macroF1,
    reasonBalancedAccuracy: m.reason.balancedAccuracy,
    reasonAccuracy: m.reason.accuracy,
    baselineAccuracy: m.reasonBaseline.accuracy,
    cryPatchAuc: m.cryPatchAuc,
    cryPatchAucFullBandNegatives: m.cryPatchAucFullBandNegatives,
    bestEpoch,
    epochs,
    seconds,
  };
}

/** Median ms of one single-patch predict (after a warm-up), on the active backend. */
export function inferenceMs(
  model: { predict: (x: tf.Tensor) => unknown },
  inputShape: number[],
  reps = 15,
): number {
  const x = tf.randomNormal([1, ...inputShape], 0, 1, "float32", 7);
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const out = model.predict(x) as tf.Tensor[];
      for (const t of out) t.dataSync();
    });
    if (i >= 2) times.push(performance.now() - t0);
  }
  x.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** At most `perClip` samples of each clip, evenly spaced over its patches (0 = all), in their order. */
export function thinSamples(samples: Sample[], perClip: number): Sample[] {
  if (perClip <= 0) return samples;
  const byClip = new Map<number, number[]>();
  samples.forEach((s, i) => {
    byClip.set(s.clip, [...(byClip.get(s.clip) ?? []), i]);
  });
  const keep = new Set<number>();
  for (const idx of byClip.values()) {
    if (idx.length <= perClip) for (const i of idx) keep.add(i);
    else for (let k = 0; k < perClip; k++) keep.add(idx[Math.floor(((k + 0.5) * idx.length) / perClip)]);
  }
  return samples.filter((_, i) => keep.has(i));
}

function mean(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
}
