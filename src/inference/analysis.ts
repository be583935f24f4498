import type { ModelVersions, ReasonProbabilities } from "../events.js";

/** YAMNet's outputs for one 96×64 patch. */
export interface YamnetOutput {
  /** 521 AudioSet scores (sigmoid). */
  scores: Float32Array;
  /** 1024-d embedding (global average pool of the last conv layer). */
  embedding: Float32Array;
  /** Intermediate feature maps requested by layer index, flattened HWC, with their shape. */
  featureMaps?: Record<number, { data: Float32Array; shape: [number, number, number] }>;
}

/** Everything the pipeline and `classify` know about one window of audio. */
export interface WindowAnalysis extends YamnetOutput {
  /** YAMNet's own cry score: max of classes 19, 20, 21. */
  yamnetCry: number;
  /** The cry probability in use: from the trained heads when loaded, else `yamnetCry`. */
  cry: number;
  /** Reason probabilities from the trained heads, or null without heads. */
  reasons: ReasonProbabilities | null;
}

/** The operating point trained heads ship in their manifest's `thresholds` (each value optional). */
export interface HeadsOperatingPoint {
  unsure?: number;
  episode?: number;
  onsetN?: number;
  onsetStrong?: number;
  yamnetSupport?: number;
}

/** Turns 16 kHz windows of PATCH_WINDOW_SAMPLES samples into analyses (log-mel → YAMNet → heads). */
export interface Analyzer {
  readonly models: ModelVersions;
  readonly backend: string;
  /** the loaded heads' operating point; absent or null without heads */
  readonly headsOperatingPoint?: HeadsOperatingPoint | null;
  analyze(windows: Float32Array[]): Promise<WindowAnalysis[]>;
  dispose(): void;
}
