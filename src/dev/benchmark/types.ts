/** Shared types of the leave-source-out detection benchmark (src/dev/benchmark/). */

/** What a negative sound is, for the false-alarm figures; "cry" for the positives. */
export const NEGATIVE_CATEGORIES = [
  "speech",
  "cat",
  "dog",
  "other animals",
  "toddler",
  "laughter",
  "music/lullaby",
  "white noise",
  "household",
] as const;
export type NegativeCategory = (typeof NEGATIVE_CATEGORIES)[number];
/** Background-only stretches between events (generated noise, no source). */
export const BACKGROUND = "background" as const;
export type FalseAlarmCategory = NegativeCategory | typeof BACKGROUND;

/** One audio file of ../shared as the benchmark uses it. */
export interface BenchClip {
  /** path relative to ../shared (e.g. data/household/cat/1-34094-A-5.wav) */
  rel: string;
  /** the source it belongs to: a speaker, an ESC-50 class, a Donate-a-Cry install, the toddler, … */
  source: string;
  kind: "cry" | "negative";
  /** the negative category; null for cries */
  category: NegativeCategory | null;
  /** cries: the 16 kHz original of an 8 kHz clip (more-data/donateacry-16k), same recording */
  fullBandTwin?: string;
}

/** One event placed in a benchmark stream. */
export interface StreamEvent {
  kind: "cry" | "negative";
  source: string;
  category: NegativeCategory | null;
  /** seconds from the start of the stream */
  start: number;
  end: number;
  /** cries: where the crying itself begins (cryOnset of the clip) */
  onset: number;
  files: string[];
  /** cries: SNR over the background (dB); null for negatives */
  snrDb: number | null;
  /** cries: the negative playing under it (a cry over a lullaby), if any */
  under?: { source: string; category: NegativeCategory };
  /** heard band-limited to 4 kHz with the background around it (StreamOptions.matchCryBandwidth) */
  bandLimited: boolean;
}

export interface FoldStreamInfo {
  fold: number;
  durationSec: number;
  events: StreamEvent[];
  /** sha256 of every input file, by path relative to ../shared */
  inputs: Record<string, string>;
}

/** One window of a stream as a scorer sees it. */
export interface BenchWindow {
  startSec: number;
  endSec: number;
  /** the cry probability of the scorer in use */
  cry: number;
  /** YAMNet's own cry score (for the laughter veto rule and yamnetSupport) */
  yamnetCry: number;
  /** YAMNet's laughter score (classes 13–18) */
  laughter: number;
}

/** An episode as the daemon would report it (src/detection/room-calibration.ts replayEpisodes). */
export interface BenchEpisode {
  startSec: number;
  endSec: number;
  detectedSec: number;
}
