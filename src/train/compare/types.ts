import type * as tfl from "@tensorflow/tfjs-layers";
import { ARCH_NAMES, type ArchName } from "../archs/index.js";
import type { SetMetrics } from "../evaluate.js";
import type { Interval } from "../metrics.js";
import type { Logits, Sample } from "../sample.js";
import type { EpochRecord } from "../trainer.js";
import type { AugCopy, FeatureSide, LeakyFigures, TrainExportOptions } from "../types.js";

/** Every model of the comparison: today's two YAMNet heads and the six patch architectures. */
export const COMPARE_ARCHS = ["yamnet-fc", "yamnet-mnv3", ...ARCH_NAMES] as const;
export type CompareArch = (typeof COMPARE_ARCHS)[number];

export function isCompareArch(value: string): value is CompareArch {
  return (COMPARE_ARCHS as readonly string[]).includes(value);
}

export function isPatchArch(arch: CompareArch): arch is ArchName {
  return arch !== "yamnet-fc" && arch !== "yamnet-mnv3";
}

export interface CompareOptions extends TrainExportOptions {
  archs: CompareArch[];
  /** archs to export for the daemon (into <run folder>/export/<arch>/ unless `exportRoot`) */
  exportArchs: CompareArch[];
  exportRoot: string | null;
  /** wall-clock minutes the patch archs may train in all (their share each: PATCH_ARCH_COST) */
  budgetMinutes: number;
}

/** One epoch as every fitter reports it (the patch trainer adds its seconds and samples). */
export type CompareEpoch = EpochRecord & { seconds?: number; samples?: number };

export interface FitRequest {
  trainIds: number[];
  seed: number;
  copies: AugCopy[] | null;
  which?: FeatureSide;
  /** seed of the inner grouped validation split; default `seed` */
  splitSeed?: number;
}

export interface FittedModel {
  model: tfl.LayersModel;
  predict(samples: Sample[]): Logits;
  history: CompareEpoch[];
  bestEpoch: number;
  valIds: number[];
  stoppedByBudget: boolean;
  seconds: number;
  /** patch archs: the input standardization the model was trained with */
  standardization?: { mean: number; std: number };
}

/** Trains one arch of the comparison on clips of the run. */
export interface ArchFitter {
  readonly arch: CompareArch;
  /** a freshly built, untrained model (counts, timing) */
  build(seed: number): tfl.LayersModel;
  /** one input row of shape inputShape, for timing */
  readonly inputShape: number[];
  fit(r: FitRequest): Promise<FittedModel>;
}

/** How an arch was trained and evaluated under the run's budget (written into comparison.md). */
export interface ArchProtocol {
  folds: number;
  cvSeeds: number;
  maxEpochs: number;
  /** 0 = every training sample each epoch */
  samplesPerEpoch: number;
  /** wall-clock seconds one fit may train (Infinity: no limit) */
  fitSeconds: number;
  /** validation patches early stopping watches (a fixed random subset; 0 = all) */
  maxValSamples: number;
  /** patches per held-out clip that are scored (evenly spaced; 0 = all): inference of the large archs is budgeted too */
  maxEvalPatchesPerClip: number;
  width: number;
  depth: number;
  note: string;
}

export interface ArchResult {
  arch: CompareArch;
  protocol: ArchProtocol;
  recipe: string;
  params: number;
  multiplyAdds: number;
  /** what the figures above leave out (YAMNet in front of its heads) */
  paramsNote: string;
  cvPooled: SetMetrics;
  folds: FoldFigures[];
  leaky: LeakyFigures | null;
  trainSeconds: number;
  /** mean seconds of one training epoch over the CV fits, and samples per such epoch */
  epochSeconds: number;
  epochSamples: number;
  fitsStoppedByBudget: number;
  fits: number;
  inferenceMsPerPatch: number;
  inferenceBackend: string;
  bestEpochs: number[];
}

export interface FoldFigures {
  seed: number;
  fold: number;
  reasonMacroF1: number;
  reasonBalancedAccuracy: number;
  reasonAccuracy: number;
  baselineAccuracy: number;
  cryPatchAuc: number;
  cryPatchAucFullBandNegatives: number | null;
  bestEpoch: number;
  epochs: number;
  seconds: number;
}

export interface EpochTiming {
  arch: CompareArch;
  /** patches of the epoch the seconds are for */
  patches: number;
  /** the model's width multiplier */
  width?: number;
  /** per backend: patches actually timed (after a warm-up batch), scaled to the epoch */
  measuredPatches: Record<string, number>;
  seconds: Record<string, number>;
}

export type { Interval };
