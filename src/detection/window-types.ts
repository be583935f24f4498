import type { WindowScores } from "../inference/types.js";

/** One 0.975 s window of 16 kHz audio, cut from the input stream (WindowCutter in ./windows.ts). */
export interface AudioWindow {
  /** position of the first sample in the input (samples at 16 kHz) */
  startSample: number;
  startSec: number;
  endSec: number;
  samples: Float32Array;
  levelDbfs: number;
}

/**
 * One window as the episode logic sees it: its place in the input, the clock at its end, its level, and the
 * analyzer's scores with the cry after the laughter veto (cry and yamnetCry 0, no reasons, when the volume gate
 * skipped it).
 */
export interface ScoredWindow
  extends Pick<AudioWindow, "startSec" | "endSec" | "levelDbfs">,
    Omit<WindowScores, "yamnetCry"> {
  /** wall clock (epoch ms) of the window's end: now for live audio, the replay's clock for files */
  atMs: number;
  /** YAMNet's own cry score (for `yamnetSupport`); absent = not known, counts as support */
  yamnetCry?: number;
}

/** A window scored earlier, replayed offline through the episode logic (room calibration, the evaluation mix). */
export type ReplayWindow = Omit<ScoredWindow, "atMs" | "reasons">;
