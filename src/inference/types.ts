import type { ModelVersions, ReasonProbabilities } from "../events.js";

/** YAMNet's outputs for one 96×64 patch. */
export interface YamnetOutput {
  /** 521 AudioSet scores (sigmoid). */
  scores: Float32Array;
  /** 1024-d embedding (global average pool of the last conv layer). */
  embedding: Float32Array;
  /** the 521 class logits before the sigmoid, when asked for (`logits: true`) */
  logits?: Float32Array;
  /** Intermediate feature maps requested by layer index, flattened HWC, with their shape. */
  featureMaps?: Record<number, { data: Float32Array; shape: [number, number, number] }>;
}

/** The trained heads' answer for one patch. */
export interface HeadPrediction {
  /** calibrated cry probability */
  cry: number;
  reasons: ReasonProbabilities;
}

/**
 * What the analyzer says about one window, and all the episode logic reads of it (src/detection/window-types.ts
 * ScoredWindow carries these fields on, with the window's place in time).
 */
export interface WindowScores {
  /** The cry probability in use: from the trained heads when loaded, else `yamnetCry`. */
  cry: number;
  /** YAMNet's own cry score: max of classes 19, 20, 21. */
  yamnetCry: number;
  /** Reason probabilities from the trained heads, or null without heads. */
  reasons: ReasonProbabilities | null;
}

/** Everything the pipeline and `classify` know about one window of audio: YAMNet's outputs and the scores. */
export interface WindowAnalysis extends YamnetOutput, WindowScores {}

/** The operating point trained heads ship in their manifest's `thresholds` (each value optional). */
export interface HeadsOperatingPoint {
  unsure?: number;
  episode?: number;
  onsetN?: number;
  onsetStrong?: number;
  yamnetSupport?: number;
}

/** What the analyzer needs from trained heads (src/inference/heads.ts provides it). */
export interface CryHeads {
  /** name and version, recorded with every event */
  readonly version: string;
  /** YAMNet conv layers whose feature maps the heads read (e.g. the MobileNetV3 head) */
  readonly featureLayers?: readonly number[];
  /** the heads were trained on 16 kHz audio band-limited to this many Hz (0 or absent: full band) */
  readonly bandLimitHz?: number;
  /** what the heads' manifest ships for the episode logic (src/app.ts detectionForModels applies it) */
  readonly thresholds?: HeadsOperatingPoint;
  predict(outputs: YamnetOutput[]): HeadPrediction[];
  /** a log-mel-patch model (src/inference/patch-model.ts) reads the windows' patches instead of YAMNet's outputs */
  predictPatches?(patches: Float32Array[]): HeadPrediction[];
  dispose?(): void;
}

/** The operating point of a manifest's `detector` block (src/inference/detector.ts), on the calibrated cry. */
export interface DetectorOperatingPoint {
  threshold: number;
  onsetN: number;
  onsetStrong: number;
}

export interface AnalyzeOptions {
  /**
   * Reasons are needed only for windows whose cry probability is above this (the episode threshold: the windows
   * an episode's reason is averaged over); an analyzer whose reasons cost a second pass (DetectorAnalyzer) skips
   * the others and gives them `reasons: null`. Default: every window.
   */
  reasonsAbove?: number;
}

/** What the detector's analyzer needs from the heads when only their reasons are used (Heads with `reasonsOnly`). */
export interface ReasonHeads extends Pick<CryHeads, "version" | "featureLayers" | "bandLimitHz"> {
  reasons(outputs: YamnetOutput[]): ReasonProbabilities[];
  dispose(): void;
}

/** Turns 16 kHz windows of PATCH_WINDOW_SAMPLES samples into analyses (log-mel → YAMNet → heads). */
export interface Analyzer {
  readonly models: ModelVersions;
  readonly backend: string;
  /** the loaded heads' operating point; absent or null without heads */
  readonly headsOperatingPoint?: HeadsOperatingPoint | null;
  /** the manifest's `detector` point when the detector block gives the cry probability; absent otherwise */
  readonly detectorPoint?: DetectorOperatingPoint;
  /** Windows in order of the stream; an analyzer with state over windows (sequence model) keeps it per stream. */
  analyze(windows: Float32Array[], options?: AnalyzeOptions): Promise<WindowAnalysis[]>;
  /** A new stream begins (capture (re)started): forget the state over past windows. */
  reset?(): void;
  dispose(): void;
}
