import type { BabymonEvent } from "../../events.js";

type WindowEvent = Extract<BabymonEvent, { type: "window" }>;

/** One row of the window log: `every` windows in one, so a night's picture costs little and keeps its peaks. */
export interface WindowLogRow {
  /** the first window's time */
  atMs: number;
  timeSec: number;
  /** the loudest window's level */
  levelDbfs: number;
  /** the highest cry probability: a cry of one window stays visible */
  cry: number;
  /** every window was skipped by the volume gate */
  gated: boolean;
}

/** Folds consecutive windows into window-log rows. */
export class WindowSummary {
  #row: WindowLogRow | null = null;
  #count = 0;

  /** Adds a window; returns the finished row after every `every`-th window, else null. */
  add(w: WindowEvent, every: number): WindowLogRow | null {
    const row = this.#row;
    if (row === null) {
      this.#row = { atMs: w.at, timeSec: w.timeSec, levelDbfs: w.levelDbfs, cry: w.cry, gated: w.gated };
    } else {
      row.levelDbfs = Math.max(row.levelDbfs, w.levelDbfs);
      row.cry = Math.max(row.cry, w.cry);
      row.gated &&= w.gated;
    }
    if (++this.#count < every) return null;
    const done = this.#row;
    this.#row = null;
    this.#count = 0;
    return done;
  }
}
