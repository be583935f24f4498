import { WINDOW_SEC } from "../../detection/windows.js";
import { activeIn, type CryActivity } from "./activity.js";
import { DEFAULT_STREAM } from "./streams.js";
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
  /** every source the window hears (a cry's family and the negative under it, a negative's source) */
  sources: string[];
  /** the window lies in a stretch the stream band-limited (a band-limited event and `bandMarginSec` around it) */
  bandLimited: boolean;
}

/** With `activity`, a window over a pause of a cry (activeIn false) is left out rather than crying. */
export function windowLabels(
  startSec: ArrayLike<number>,
  events: readonly StreamEvent[],
  activity?: CryActivity,
  bandMarginSec = DEFAULT_STREAM.bandMarginSec,
): WindowLabel[] {
  const sorted = [...events].sort((a, b) => a.start - b.start);
  const limited = sorted.filter((ev) => ev.bandLimited);
  let firstLimited = 0;
  const out: WindowLabel[] = [];
  let first = 0;
  for (let i = 0; i < startSec.length; i++) {
    const s = startSec[i];
    const e = s + WINDOW_SEC;
    while (first < sorted.length && sorted[first].end <= s) first++;
    let label = NOT_CRY;
    let group = "background";
    const sources: string[] = [];
    let bestNegative = 0;
    let crying = false;
    for (let j = first; j < sorted.length && sorted[j].start < e; j++) {
      const ev = sorted[j];
      sources.push(ev.source);
      if (ev.under) sources.push(ev.under.source);
      if (ev.kind === "cry") {
        const o = Math.min(e, ev.end) - Math.max(s, ev.onset);
        label =
          o >= MIN_CRY_OVERLAP_SEC && (!activity || activeIn(activity, ev, Math.max(s, ev.onset), e))
            ? CRY
            : LEFT_OUT;
        group = "cry";
        crying = true;
      } else if (!crying) {
        const o = Math.min(e, ev.end) - Math.max(s, ev.start);
        if (o > bestNegative) {
          bestNegative = o;
          group = ev.category!;
        }
      }
    }
    while (firstLimited < limited.length && limited[firstLimited].end + bandMarginSec <= s) firstLimited++;
    const bandLimited = firstLimited < limited.length && limited[firstLimited].start - bandMarginSec < e;
    out.push({ label, group, sources, bandLimited });
  }
  return out;
}
