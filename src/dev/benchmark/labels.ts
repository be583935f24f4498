import { WINDOW_SEC } from "../../detection/windows.js";
import type { StreamEvent } from "./types.js";

/** Window labels for training: 1 crying, 0 not, -1 left out (a window that only grazes a cry). */
export const CRY = 1;
export const NOT_CRY = 0;
export const LEFT_OUT = -1;

/** A window is crying when it overlaps [onset, end] of a cry by at least this long (s). */
export const MIN_CRY_OVERLAP_SEC = 0.5;

/** What each window (by start time) is: crying, a negative category's or the background's, or left out. */
export interface WindowLabel {
  label: number;
  /** the negative category or "background" for label 0; "cry" for 1 */
  group: string;
}

export function windowLabels(startSec: ArrayLike<number>, events: readonly StreamEvent[]): WindowLabel[] {
  const sorted = [...events].sort((a, b) => a.start - b.start);
  const out: WindowLabel[] = [];
  let first = 0;
  for (let i = 0; i < startSec.length; i++) {
    const s = startSec[i];
    const e = s + WINDOW_SEC;
    while (first < sorted.length && sorted[first].end <= s) first++;
    let label: WindowLabel = { label: NOT_CRY, group: "background" };
    let bestNegative = 0;
    for (let j = first; j < sorted.length && sorted[j].start < e; j++) {
      const ev = sorted[j];
      if (ev.kind === "cry") {
        const o = Math.min(e, ev.end) - Math.max(s, ev.onset);
        label = o >= MIN_CRY_OVERLAP_SEC ? { label: CRY, group: "cry" } : { label: LEFT_OUT, group: "cry" };
        break;
      }
      const o = Math.min(e, ev.end) - Math.max(s, ev.start);
      if (o > bestNegative) {
        bestNegative = o;
        label = { label: NOT_CRY, group: ev.category! };
      }
    }
    out.push(label);
  }
  return out;
}
