import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readAudioFile16k } from "../../audio/decode.js";
import { bandLimit } from "../../dsp/band-limit.js";
import { mulberry32, shuffleInPlace } from "../../train/random.js";
import { cryOnset } from "../mix.js";
import { SHARED_ROOT } from "./sources.js";
import type { BenchClip, FoldStreamInfo, NegativeCategory, StreamEvent } from "./types.js";

/**
 * A fold's benchmark stream: every clip of the fold's sources once, in a seeded random order, over a continuous
 * generated pink-noise background (no recorded source, so it leaks nothing between folds). Cries are placed at
 * SNRs cycling through `snrsDb` over the background, a share of them over one of the fold's negative clips (a cry
 * over a lullaby, over speech); negatives play in stretches of one source (short clips back to back up to
 * ~15 s). Gaps of background alone separate events, longer than the episode hold plus cooldown, so one event's
 * episode cannot swallow the next.
 */

const RATE = 16000;

export interface StreamOptions {
  seed: number;
  snrsDb: number[];
  /** background level range (dBFS RMS), drawn per 30 s segment */
  backgroundDbfs: [number, number];
  /** negatives' level range (dBFS RMS) */
  negativeDbfs: [number, number];
  /** background-only seconds after each event */
  gapSec: [number, number];
  /** share of cries placed over a negative clip of the fold */
  overNegativeShare: number;
  /** a negative played under a cry is this many dB below the cry */
  underDb: number;
  /**
   * A cry that exists only as its 8 kHz clip is heard with everything around it band-limited to 4 kHz, as if the
   * room had been recorded through that clip's channel, and the same share of the fold's negative stretches is heard
   * so too, so that bandwidth tells nothing about the class. Off, such a cry plays over full-band background, and
   * 4–8 kHz then holds noise alone under a cry: a sound no microphone hears, on which YAMNet misses most cries it
   * finds in the same clip heard whole.
   */
  matchCryBandwidth: boolean;
  /** background band-limited before and after such an event (s; ≥ one window, so no window straddles an edge) */
  bandMarginSec: number;
}

export const DEFAULT_STREAM: StreamOptions = {
  seed: 1,
  snrsDb: [20, 10, 5, 0],
  backgroundDbfs: [-50, -35],
  negativeDbfs: [-35, -20],
  gapSec: [9, 12],
  overNegativeShare: 0.2,
  underDb: 10,
  matchCryBandwidth: true,
  bandMarginSec: 1,
};

export interface FoldStream extends FoldStreamInfo {
  samples: Float32Array;
}

export function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length)) || 1e-9;
}
const gain = (dB: number) => 10 ** (dB / 20);

/** Pink noise (Paul Kellet's filter of white noise), unit RMS, from a seeded generator. */
export function pinkNoise(n: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < n; i++) {
    const w = rand() * 2 - 1;
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    out[i] = b0 + b1 + b2 + w * 0.1848;
  }
  const r = rms(out);
  for (let i = 0; i < n; i++) out[i] /= r;
  return out;
}

interface Planned {
  kind: "cry" | "negative";
  clips: BenchClip[];
}

/** Negative clips of one source in stretches: short clips back to back up to ~15 s, long clips alone. */
function stretches(clips: BenchClip[], lengthOf: (c: BenchClip) => number): BenchClip[][] {
  const out: BenchClip[][] = [];
  let cur: BenchClip[] = [];
  let len = 0;
  for (const c of clips) {
    if (cur.length > 0 && len + lengthOf(c) > 15) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(c);
    len += lengthOf(c);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The file a clip is heard from in the stream: a cry's 16 kHz original when there is one (full band). */
export const playedFile = (c: BenchClip) => c.fullBandTwin ?? c.rel;

/** A cry heard only from its 8 kHz clip (nothing above 4 kHz). */
const narrowband = (c: BenchClip) => c.kind === "cry" && c.fullBandTwin === undefined;

const BAND_HZ = 4000;
const CROSSFADE = Math.round(0.02 * RATE);

/** Band-limits out[from, to) in place, crossfading over 20 ms at both edges into the full-band signal. */
function bandLimitSpan(out: Float32Array, from: number, to: number): void {
  const a = Math.max(0, from);
  const b = Math.min(out.length, to);
  if (b - a < 2 * CROSSFADE) return;
  const limited = bandLimit(out.subarray(a, b), BAND_HZ, RATE);
  for (let i = 0; i < limited.length; i++) {
    const w = Math.min(1, i / CROSSFADE, (limited.length - 1 - i) / CROSSFADE);
    out[a + i] = w * limited[i] + (1 - w) * out[a + i];
  }
}

export async function buildFoldStream(
  fold: number,
  clips: readonly BenchClip[],
  options: StreamOptions = DEFAULT_STREAM,
  shared = SHARED_ROOT,
): Promise<FoldStream> {
  const rand = mulberry32(options.seed * 1000 + fold);
  // its own generator, so the band decisions leave every other draw of the stream as it was
  const bandRand = mulberry32(options.seed * 1000 + fold + 500);
  const uniform = ([lo, hi]: [number, number]) => lo + (hi - lo) * rand();
  const inputs: Record<string, string> = {};
  const audio = new Map<string, Float32Array>();
  for (const c of clips) {
    const rel = playedFile(c);
    const path = join(shared, rel);
    audio.set(rel, (await readAudioFile16k(path)).samples);
    inputs[rel] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  const seconds = (c: BenchClip) => audio.get(playedFile(c))!.length / RATE;
  const plan: Planned[] = clips.filter((c) => c.kind === "cry").map((c) => ({ kind: "cry", clips: [c] }));
  const negatives = clips.filter((c) => c.kind === "negative");
  const bySource = new Map<string, BenchClip[]>();
  for (const c of negatives) {
    const key = `${c.source}|${c.category}`;
    if (!bySource.has(key)) bySource.set(key, []);
    bySource.get(key)!.push(c);
  }
  for (const group of bySource.values())
    for (const s of stretches(group, seconds)) plan.push({ kind: "negative", clips: s });
  shuffleInPlace(plan, rand);

  const length = (p: Planned) => p.clips.reduce((s, c) => s + seconds(c), 0);
  const total = Math.ceil(
    (plan.reduce((s, p) => s + length(p) + options.gapSec[1], 0) + options.gapSec[1]) * RATE,
  );
  const out = pinkNoise(total, rand);
  const segment = 30 * RATE;
  const backgroundRms = new Float32Array(Math.ceil(total / segment));
  for (let s = 0; s < backgroundRms.length; s++) {
    backgroundRms[s] = gain(uniform(options.backgroundDbfs));
    const end = Math.min(total, (s + 1) * segment);
    for (let i = s * segment; i < end; i++) out[i] *= backgroundRms[s];
  }
  const add = (x: Float32Array, at: number, g: number) => {
    for (let i = 0; i < x.length && at + i < total; i++) out[at + i] += x[i] * g;
  };

  const cries = clips.filter((c) => c.kind === "cry");
  const narrowShare = cries.length > 0 ? cries.filter(narrowband).length / cries.length : 0;
  const events: StreamEvent[] = [];
  let at = Math.round(uniform(options.gapSec) * RATE);
  let snrIndex = 0;
  for (const p of plan) {
    if (p.kind === "cry") {
      const c = p.clips[0];
      const x = audio.get(playedFile(c))!;
      const snr = options.snrsDb[snrIndex++ % options.snrsDb.length];
      const bg = backgroundRms[Math.floor(at / segment)];
      const g = (bg * gain(snr)) / rms(x);
      add(x, at, g);
      let under: StreamEvent["under"];
      if (negatives.length > 0 && rand() < options.overNegativeShare) {
        const n = negatives[Math.floor(rand() * negatives.length)];
        const y = audio.get(playedFile(n))!.subarray(0, x.length);
        add(y, at, (rms(x) * g * gain(-options.underDb)) / rms(y));
        under = { source: n.source, category: n.category as NegativeCategory };
      }
      events.push({
        kind: "cry",
        source: c.source,
        category: null,
        start: at / RATE,
        end: (at + x.length) / RATE,
        onset: at / RATE + cryOnset(x),
        files: [playedFile(c)],
        snrDb: snr,
        ...(under ? { under } : {}),
        bandLimited: options.matchCryBandwidth && narrowband(c),
      });
      at += x.length;
    } else {
      const start = at;
      const g = gain(uniform(options.negativeDbfs));
      for (const c of p.clips) {
        const x = audio.get(playedFile(c))!;
        add(x, at, g / rms(x));
        at += x.length;
      }
      events.push({
        kind: "negative",
        source: p.clips[0].source,
        category: p.clips[0].category,
        start: start / RATE,
        end: at / RATE,
        onset: start / RATE,
        files: p.clips.map(playedFile),
        snrDb: null,
        bandLimited: options.matchCryBandwidth && bandRand() < narrowShare,
      });
    }
    at += Math.round(uniform(options.gapSec) * RATE);
  }
  const margin = Math.round(options.bandMarginSec * RATE);
  for (const e of events)
    if (e.bandLimited)
      bandLimitSpan(out, Math.round(e.start * RATE) - margin, Math.round(e.end * RATE) + margin);
  const samples = out.subarray(0, Math.min(total, at));
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  if (peak > 0.99) for (let i = 0; i < samples.length; i++) samples[i] *= 0.99 / peak;
  return { fold, samples, durationSec: samples.length / RATE, events, inputs };
}
