import type { Mix } from "../mix.js";
import type { ScoredMixWindow } from "../mix-eval.js";

/** One of the two halves of the held-out files (src/dev/heldout-split.ts). */
export type Half = "a" | "b";

/** One part of each household clip (MixOptions.householdPart); undefined: whole clips. */
export type Part = 0 | 1 | undefined;

/** How an episode starts besides the threshold: `onsetK` of the last `onsetN` windows, or one at `onsetStrong`. */
export interface Onset {
  onsetN: number;
  onsetStrong: number;
}

/** A mix's labels and its scored windows (the audio is dropped once scored). */
export interface ScoredMix {
  seed: number;
  half: Half;
  mix: Omit<Mix, "samples">;
  windows: ScoredMixWindow[];
}

/** One mix scored at one operating point (cross-fitting scores each half at the other half's point). */
export interface MixRun {
  set: ScoredMix;
  threshold: number;
  onset: Onset;
}

/** Recall, false alarms and latency pooled over several mix runs. */
export interface PooledFigures {
  yamnetSupport: number;
  cries: number;
  found: number;
  recall: number;
  falseEpisodes: number;
  nonCryHours: number;
  falsePerHour: number;
  latencyMedianSec: number;
  latencyP95Sec: number;
  /** "found/cries" by SNR ("20 dB") */
  bySnr: Record<string, string>;
  /** false episodes by what was playing (MixScore.falseByLabel) */
  falseByLabel: Record<string, number>;
}

/** The pooled figures of one operating point applied to every mix of a set. */
export interface OperatingPoint extends PooledFigures, Onset {
  threshold: number;
}
