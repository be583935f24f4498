/**
 * The one typed event interface between the listening pipeline and the sinks (SQLite, MQTT, GPIO).
 * Times are epoch milliseconds (wall clock of the daemon; for file replays, the replay's clock).
 */
export const REASONS = ["hungry", "belly_pain", "burping", "discomfort", "tired"] as const;
export type Reason = (typeof REASONS)[number];
export type ReasonOrUnsure = Reason | "unsure";
/** The one representation of reason probabilities, from the heads to the sinks; keys in REASONS order. */
export type ReasonProbabilities = Record<Reason, number>;

/** Reason probabilities with `value(reason, index in REASONS)` for each reason, keys in REASONS order. */
export function reasonProbabilities(value: (reason: Reason, index: number) => number): ReasonProbabilities {
  return Object.fromEntries(REASONS.map((r, i) => [r, value(r, i)])) as ReasonProbabilities;
}

export interface ModelVersions {
  /** sha256 of the YAMNet TFLite source the TF.js model was built from. */
  yamnet: string;
  /** name and version of the trained heads, or null when YAMNet's own cry score is used. */
  heads: string | null;
}

export interface EpisodeInfo {
  id: string;
  startMs: number;
  /** Offset of the start from the beginning of the input (seconds); for files, the file position. */
  startSec: number;
  peak: number;
  reason: ReasonOrUnsure;
  confidence: number;
  probabilities: ReasonProbabilities | null;
  levelDbfs: number;
  models: ModelVersions;
}

/** An episode at its end (`episode_end`). */
export interface EndedEpisodeInfo extends EpisodeInfo {
  endMs: number;
  endSec: number;
  durationSec: number;
  /**
   * true when the daemon was killed during the episode: this end is published at the next start, and `endMs` is
   * the last moment the episode was known to go on (its last write before the kill).
   */
  interrupted?: boolean;
}

export type BabymonEvent =
  | { type: "episode_start"; at: number; episode: EpisodeInfo }
  /** provisional reason, emitted once ~5 s into an episode */
  | { type: "episode_update"; at: number; episode: EpisodeInfo }
  | { type: "episode_end"; at: number; episode: EndedEpisodeInfo }
  | {
      type: "window";
      at: number;
      /** seconds from the start of the input */
      timeSec: number;
      levelDbfs: number;
      cry: number;
      /** YAMNet's own cry score (classes 19–21); 0 when gated */
      yamnetCry: number;
      /** true when the volume gate skipped inference for this window */
      gated: boolean;
      /** YAMNet's 5 highest AudioSet classes (index into its class map, score), best first; absent when gated */
      topClasses?: ClassScore[];
      /** inference time per window of the batch this window was analysed in (ms); absent when gated */
      inferenceMs?: number;
      /** YAMNet's 1024-d embedding (absent when gated): what src/learning keeps around episodes */
      embedding?: Float32Array;
    }
  | { type: "health"; at: number; health: HealthSnapshot }
  /** The capture source changed status (online / stalled / offline); `restarts` counts capture restarts. */
  | { type: "capture"; at: number; status: CaptureStatus; restarts: number; detail: string | null };

/** One AudioSet class of YAMNet's output and its score. */
export interface ClassScore {
  index: number;
  score: number;
}

export type CaptureStatus = "online" | "stalled" | "offline";

export interface HealthSnapshot {
  capture: CaptureStatus;
  inferenceMsPerWindow: number;
  droppedWindows: number;
  processedWindows: number;
  uptimeSec: number;
  detectionEnabled: boolean;
  modelMissing: boolean;
  sinkFailures: Record<string, number>;
  /** Active faults of the daemon's fault board (e.g. "broker", "model", "disk", "sink:gpio" for a sink that could not start). */
  faults: string[];
  /** What each active fault that says so is about (arecord's message, the unwritable database path and error). */
  faultDetails?: Record<string, string>;
  /** src/learning's diagnostics line ("reason model: …; not a cry: …"), when learning is on */
  learning?: string;
}
