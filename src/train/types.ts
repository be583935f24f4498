import type { BackendPreference } from "../inference/backend.js";
import type { Combination, HeadsManifest } from "../inference/heads.js";
import type { QuietCopiesOf, QuietCopy, WaveAugmentation } from "./augment.js";
import type { TrainLabel } from "./dataset.js";
import type { ClipInfo, PatchPredictions, SetMetrics } from "./evaluate.js";
import type { ClipFeatures } from "./features.js";
import type { Interval } from "./metrics.js";
import type { HeadKind } from "./models.js";
import type { SilenceSpec } from "./silence.js";
import type { StackChoice } from "./stack.js";
import type { EpochRecord } from "./trainer.js";

export interface TrainExportOptions {
  data: string;
  /** models/<name>/ to write (null: no export) */
  outDir: string | null;
  /** export into <run folder>/model instead (smoke runs) */
  exportIntoRun?: boolean;
  name: string;
  runsDir: string;
  cacheDir: string | null;
  yamnetDir?: string;
  backend: BackendPreference;
  smoke: boolean;
  folds: number;
  /** CV repetitions (different fold assignments) for the FC head */
  seeds: number;
  /** CV repetitions for the MobileNetV3 head (it costs ~5× the FC head) */
  mnv3Seeds: number;
  /** members of each exported head: trained alike from different seeds, their logits averaged */
  ensemble: number;
  testFraction: number;
  bandLimitHz: number;
  featureLayer: number;
  patchStride: number;
  silenceClips: number;
  /** one noise-mixed copy per training cry clip (re-runs YAMNet on it) */
  augment: boolean;
  /** …and per training household and laughter clip (needs `augment`) */
  augmentNegatives: boolean;
  /** one quiet copy (QUIET_COPY_DBFS) of training clips: none, household clips only, or every class alike */
  quietCopies: QuietCopiesOf | "none";
  leaky: boolean;
  /** let YAMNet's class logits join the cry logit when a second-level CV says they help (src/train/stack.ts) */
  yamnetStack: boolean;
  /** cry patches more than this many dB below their clip's loudest patch are not labelled cry (pauses, room
   * tone); 0 = every patch of a cry clip is a cry */
  cryActiveDb: number;
  seed: number;
  maxEpochs: number;
  mnv3MaxEpochs: number;
  mnv3SamplesPerEpoch: number;
  bootstrapReps: number;
  command: string;
  log: (line: string) => void;
  progress: boolean;
}

/** A file the run could not use, and why. */
export interface SkippedFile {
  file: string;
  error: string;
}

/** A clip of the run: a labelled file or a generated silence clip, with its features once extracted. */
export interface RunClip {
  id: number;
  relPath: string;
  path: string | null;
  label: TrainLabel;
  group: string;
  reason: number;
  isCry: boolean;
  sha256: string;
  silence: SilenceSpec | null;
  presplit?: "train" | "val" | "test";
  /** features under the band-limiting policy */
  feats?: ClipFeatures;
  /** negatives only: features of the full-band audio (bandwidth check) */
  featsFull?: ClipFeatures;
  /** cry clips: which patches hold crying (activeCryPatches); absent = all */
  active?: Uint8Array;
}

/** An augmented (noise-mixed or quiet) copy of a training clip, with its features. */
export interface AugCopy {
  /** clip the copy was made from */
  clip: number;
  aug: WaveAugmentation | QuietCopy;
  feats: ClipFeatures;
  /** copies of cry clips: which patches hold crying */
  active?: Uint8Array;
}

/** Which features of a clip a set of samples is drawn from: band-limited (the policy) or full-band. */
export type FeatureSide = "feats" | "featsFull";

/**
 * What every evaluation of the run is measured against: each clip's group and labels, and the majority reason
 * and reason frequencies of the train/dev split (named as EvaluateInput names them, so it can be spread in).
 */
export interface EvaluationBasis {
  clips: ClipInfo[];
  majorityReason: number;
  reasonPrior: number[];
}

export interface Thresholds {
  cry: number;
  unsure: number;
}

export interface FoldResult {
  seed: number;
  fold: number;
  head: HeadKind | "combined";
  metrics: SetMetrics;
  bestEpoch?: number;
  epochs?: number;
}

/** Cry ROC AUC on test patches of an FC head trained WITHOUT the band-limiting policy. */
export interface ShortcutFigures {
  fullBandNegatives: number;
  bandLimitedNegatives: number;
}

export interface LeakyFigures {
  reasonAccuracy: number;
  reasonMacroF1: number;
  reasonBalancedAccuracy: number;
  cryPatchAuc: number;
  testItems: number;
}

/** A figure over CV folds (and seeds). */
export interface FoldStat {
  mean: number;
  std: number;
  perFold: number[];
}

/** Per-fold CV figures of one head (or of the combination). */
export interface HeadFoldFigures {
  reasonMacroF1: FoldStat;
  reasonBalancedAccuracy: FoldStat;
  reasonAccuracy: FoldStat;
  baselineMacroF1: FoldStat;
  baselineBalancedAccuracy: FoldStat;
  baselineAccuracy: FoldStat;
  cryPatchAuc: FoldStat;
  cryPatchAucFullBandNegatives: FoldStat;
  cryClipAuc: FoldStat;
  cryClipAucFullBandNegatives: FoldStat;
  cryEce: FoldStat;
  reasonEce: FoldStat;
}

/** The headline figures of one evaluation set (manifest.json `metrics`, metrics.json `summary`). */
export interface SetSummary {
  reasonPriorCorrected: {
    macroF1: Interval;
    balancedAccuracy: Interval;
    accuracy: number;
    weightedF1: number;
  };
  reasonArgmax: { macroF1: Interval; balancedAccuracy: Interval; accuracy: number; weightedF1: number };
  baseline: { macroF1: number; balancedAccuracy: number; accuracy: number };
  unsureRate: number;
  confidentBalancedAccuracy: number;
  cryPatchAuc: number;
  cryPatchAucFullBandNegatives: number | null;
  cryClipAuc: Interval;
  cryClipAucFullBandNegatives: number | null;
  cryPatchAp: number;
  cryPatchF1AtThreshold: number;
  cryClipF1AtThreshold: number;
  cryEce: number;
  reasonEce: number;
  yamnetCryPatchAuc: number | null;
  clips: number;
  cryClips: number;
  patches: number;
}

export interface RunSummary {
  protocol: string;
  cvPerFold: Record<"fc" | "mnv3" | "combined", HeadFoldFigures>;
  cvPooledSeed0: { combined: SetSummary; fc: SetSummary; mnv3: SetSummary };
  test: SetSummary;
  bandwidthShortcutCheck: {
    description: string;
    aucFullBandNegatives: number;
    aucBandLimitedNegatives: number;
  } | null;
  leakyProtocol: ({ warning: string } & LeakyFigures) | null;
}

/** Everything the run's reports (classification_report.txt, metrics.json, plots, model card) are written from. */
export interface ReportInput {
  runDir: string;
  outDir: string | null;
  manifest: HeadsManifest;
  summary: RunSummary;
  foldResults: FoldResult[];
  cvPooled: SetMetrics;
  cvPooledByHead: Record<string, SetMetrics>;
  testMetrics: SetMetrics;
  testPreds: PatchPredictions;
  fullBandTestPreds: PatchPredictions;
  testClipLabels: TrainLabel[];
  /** relPath of every clip (indexed like testClipLabels) */
  clipPaths: string[];
  history: EpochRecord[];
  historyMnv3: EpochRecord[];
  shortcut: ShortcutFigures | null;
  leaky: LeakyFigures | null;
  thresholds: Thresholds;
  cvThresholds: Thresholds;
  cvCombination: Combination;
  clipsByLabel: Record<string, number>;
  groups: number;
  timings: { extractSeconds: number; cvSeconds: number; totalSeconds: number };
  options: TrainExportOptions;
  skipped: SkippedFile[];
  augmentation: string;
  /** the second-level CV that decided whether YAMNet's class logits join the cry logit; null when not tried */
  yamnetEvidence: StackChoice | null;
}

export interface RunResult {
  runDir: string;
  outDir: string | null;
  seconds: number;
  metrics: RunSummary;
  manifest: HeadsManifest | null;
  skipped: SkippedFile[];
}
