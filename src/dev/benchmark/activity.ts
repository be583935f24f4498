import { join } from "node:path";
import { readAudioFile16k } from "../../audio/decode.js";
import { SHARED_ROOT } from "./sources.js";
import type { StreamEvent } from "./types.js";

/**
 * Where a cry clip is actually crying: its 50 ms frames' power relative to the clip's mean power. A window over a
 * pause of the cry (breath, room tone) is not a crying window for training and calibration; the recall figures
 * still count the cry as one event.
 */
const FRAME = 800;
/** a window's part of a cry counts as crying within this many dB of the clip's mean power */
export const CRY_ACTIVE_DB = 10;

export type CryActivity = Map<StreamEvent, Float32Array>;

export async function cryActivity(
  events: readonly StreamEvent[],
  shared = SHARED_ROOT,
): Promise<CryActivity> {
  const out: CryActivity = new Map();
  for (const e of events) {
    if (e.kind !== "cry") continue;
    const { samples } = await readAudioFile16k(join(shared, e.files[0]));
    const n = Math.floor(samples.length / FRAME);
    const power = new Float32Array(n);
    let total = 0;
    for (let f = 0; f < n; f++) {
      let s = 0;
      for (let i = f * FRAME; i < (f + 1) * FRAME; i++) s += samples[i] * samples[i];
      power[f] = s / FRAME;
      total += power[f];
    }
    const mean = total / Math.max(1, n) || 1e-12;
    out.set(
      e,
      power.map((p) => 10 * Math.log10(Math.max(p, 1e-12) / mean)),
    );
  }
  return out;
}

/** Whether the part [s, e] (stream seconds) of cry `ev` is crying: its mean power within CRY_ACTIVE_DB of the clip's. */
export function activeIn(activity: CryActivity, ev: StreamEvent, s: number, e: number): boolean {
  const rel = activity.get(ev);
  if (!rel) return true;
  const a = Math.max(0, Math.floor(((Math.max(s, ev.start) - ev.start) * 16000) / FRAME));
  const b = Math.min(rel.length, Math.ceil(((Math.min(e, ev.end) - ev.start) * 16000) / FRAME));
  if (b <= a) return false;
  let p = 0;
  for (let f = a; f < b; f++) p += 10 ** (rel[f] / 10);
  return 10 * Math.log10(p / (b - a)) >= -CRY_ACTIVE_DB;
}
