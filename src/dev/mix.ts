import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { readAudioFile16k } from "../audio/decode.js";
import { mulberry32 } from "../train/random.js";
import { PROJECT_ROOT } from "../version.js";

/**
 * A reproducible evaluation mix for tuning and measuring the detector: Donate-a-Cry cries over household noise
 * at several SNRs, household-only stretches (with hard negatives: cat, dog, siren, laughing, …), baby laughter and
 * speech. Everything at 16 kHz (the 8 kHz cries are upsampled; they stay band-limited to 4 kHz).
 * The same seed gives the same mix; labels say where every event is.
 */

export const SHARED_DATA = join(PROJECT_ROOT, "..", "shared", "data");
export const SHARED_EXAMPLES = join(PROJECT_ROOT, "..", "shared", "examples");
const RATE = 16000;

export type MixEventKind = "cry" | "household" | "laugh" | "speech";

export interface MixEvent {
  kind: MixEventKind;
  /** seconds from the mix start */
  start: number;
  end: number;
  /** for cries: where the crying itself begins (first 50 ms frame within 20 dB of the clip's loudest) */
  onset: number;
  source: string;
  /** household class, cry reason */
  label: string;
  /** cries: signal-to-noise ratio against the background (dB) */
  snrDb: number | null;
  levelDbfs: number;
}

export interface MixOptions {
  seed: number;
  /** approximate length in minutes */
  minutes: number;
  snrsDb: number[];
  /** background level range (dBFS RMS) */
  backgroundDbfs: [number, number];
  /** seconds of background between events */
  gapSec: [number, number];
  /** fraction of events that are cries (the rest: household stretches, laughter, speech) */
  cryFraction: number;
  /** cry files to use (default: all); e.g. a held-out split */
  cryFiles?: string[];
  /** files (relative to ../shared/data) never to use — e.g. everything trained heads were trained on */
  exclude?: ReadonlySet<string>;
  /**
   * Use only the first (0) or the second (1) half of every household and laughter clip: two mixes built with
   * different parts hear the same sources (the same cat, the same door) at different moments, as one room's
   * nights do. Clips whose part is near-silent (see clipPart) are left out.
   */
  householdPart?: 0 | 1;
}

export const DEFAULT_MIX: MixOptions = {
  seed: 1,
  minutes: 30,
  snrsDb: [20, 10, 5, 0],
  backgroundDbfs: [-50, -35],
  gapSec: [10, 20],
  cryFraction: 0.45,
};

/** Household classes a nursery hears and that must not raise a cry episode; drawn more often. */
export const HARD_NEGATIVES = [
  "cat",
  "dog",
  "siren",
  "laughing",
  "coughing",
  "sneezing",
  "snoring",
  "rooster",
];

export interface Mix {
  samples: Float32Array;
  events: MixEvent[];
  options: MixOptions;
  durationSec: number;
  /** sha256 of every input file used, by path relative to ../shared/data */
  inputs: Record<string, string>;
  /** the continuous background: which household clip plays where, at which level */
  background: Array<{ start: number; end: number; label: string; levelDbfs: number }>;
}

function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length)) || 1e-9;
}

const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-9));
const gain = (dB: number) => 10 ** (dB / 20);

/**
 * The first (0) or second (1) half of a clip, or null when that half is more than 20 dB quieter than the whole
 * clip (ESC-50 pads short sounds with silence; levelling such a half up would only amplify its noise floor).
 */
export function clipPart(clip: Float32Array, part: 0 | 1): Float32Array | null {
  const half = Math.floor(clip.length / 2);
  const piece = part === 0 ? clip.subarray(0, half) : clip.subarray(half);
  return db(rms(piece)) < db(rms(clip)) - 20 ? null : piece;
}

function listWavs(dir: string, exclude?: ReadonlySet<string>): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".wav"))
    .sort()
    .map((f) => join(dir, f))
    .filter((p) => !exclude?.has(p.slice(SHARED_DATA.length + 1)));
}

/** First 50 ms frame whose RMS is within 20 dB of the loudest frame. */
export function cryOnset(x: Float32Array): number {
  const frame = RATE / 20;
  const levels: number[] = [];
  for (let i = 0; i + frame <= x.length; i += frame) levels.push(rms(x.subarray(i, i + frame)));
  const peak = Math.max(...levels);
  const i = levels.findIndex((l) => db(l) >= db(peak) - 20);
  return (Math.max(0, i) * frame) / RATE;
}

export async function buildMix(options: MixOptions): Promise<Mix> {
  const rand = mulberry32(options.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const uniform = ([lo, hi]: [number, number]) => lo + (hi - lo) * rand();
  const inputs: Record<string, string> = {};
  const cache = new Map<string, Float32Array>();
  const load = async (path: string): Promise<Float32Array> => {
    let x = cache.get(path);
    if (!x) {
      x = (await readAudioFile16k(path)).samples;
      cache.set(path, x);
      inputs[path.slice(SHARED_DATA.length + 1) || basename(path)] = createHash("sha256")
        .update(readFileSync(path))
        .digest("hex");
    }
    return x;
  };

  const householdDir = join(SHARED_DATA, "household");
  const classes = readdirSync(householdDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const ex = options.exclude;
  const part = options.householdPart;
  /** with `householdPart`, the files whose part is not near-silent, that part loaded in place of the whole clip */
  const usableParts = async (files: string[]): Promise<string[]> => {
    if (part === undefined) return files;
    const kept: string[] = [];
    for (const f of files) {
      const piece = clipPart(await load(f), part);
      if (!piece) {
        delete inputs[f.slice(SHARED_DATA.length + 1)]; // loaded to look at, not used
        continue;
      }
      cache.set(f, piece);
      kept.push(f);
    }
    return kept;
  };
  const householdFiles = new Map<string, string[]>();
  for (const c of classes) {
    const files = await usableParts(listWavs(join(householdDir, c), ex));
    if (files.length > 0) householdFiles.set(c, files);
  }
  const available = [...householdFiles.keys()];
  const hardNegatives = HARD_NEGATIVES.filter((c) => householdFiles.has(c));
  const cryFiles =
    options.cryFiles ??
    readdirSync(join(SHARED_DATA, "donateacry"))
      .sort()
      .flatMap((reason) => listWavs(join(SHARED_DATA, "donateacry", reason), ex));
  const laughFiles = await usableParts(listWavs(join(SHARED_DATA, "laugh"), ex));
  if (cryFiles.length === 0 || available.length === 0)
    throw new Error("no cry or household files left to mix");
  const speechFiles = [join(SHARED_EXAMPLES, "speech.wav"), join(SHARED_EXAMPLES, "two_heads.wav")];
  const shuffledCries = [...cryFiles].sort(() => rand() - 0.5);

  const total = Math.round(options.minutes * 60 * RATE);
  const out = new Float32Array(total);
  const events: MixEvent[] = [];

  // 1. continuous background: random household clips, each at a random level in the background range
  const background: Mix["background"] = [];
  for (let at = 0; at < total; ) {
    const cls = pick(available.filter((c) => !HARD_NEGATIVES.includes(c)));
    const clip = await load(pick(householdFiles.get(cls)!));
    const levelDbfs = uniform(options.backgroundDbfs);
    const g = gain(levelDbfs) / rms(clip);
    for (let i = 0; i < clip.length && at + i < total; i++) out[at + i] += clip[i] * g;
    background.push({
      start: at / RATE,
      end: Math.min(total, at + clip.length) / RATE,
      label: cls,
      levelDbfs,
    });
    at += clip.length;
  }

  // 2. events separated by background-only gaps
  let cryIndex = 0;
  let snrIndex = 0;
  for (let at = Math.round(uniform(options.gapSec) * RATE); at < total - 10 * RATE; ) {
    const r = rand();
    let event: MixEvent;
    let length: number;
    if (r < options.cryFraction) {
      const file = shuffledCries[cryIndex++ % shuffledCries.length];
      const clip = await load(file);
      length = Math.min(clip.length, total - at);
      const snr = options.snrsDb[snrIndex++ % options.snrsDb.length];
      const noise = rms(out.subarray(at, at + length));
      const g = (noise * gain(snr)) / rms(clip);
      for (let i = 0; i < length; i++) out[at + i] += clip[i] * g;
      const reason = basename(join(file, ".."));
      event = {
        kind: "cry",
        start: at / RATE,
        end: (at + length) / RATE,
        onset: at / RATE + cryOnset(clip.subarray(0, length)),
        source: file.slice(SHARED_DATA.length + 1),
        label: reason,
        snrDb: snr,
        levelDbfs: db(rms(clip) * g),
      };
    } else {
      // household stretch (hard negatives half the time), baby laughter, or speech: 2–4 clips in a row
      const kindRoll = rand();
      let kind: MixEventKind = kindRoll < 0.7 ? "household" : kindRoll < 0.92 ? "laugh" : "speech";
      if (kind === "laugh" && laughFiles.length === 0) kind = "household";
      const cls =
        kind === "household"
          ? rand() < 0.5 && hardNegatives.length > 0
            ? pick(hardNegatives)
            : pick(available)
          : kind;
      const files =
        kind === "household" ? householdFiles.get(cls)! : kind === "laugh" ? laughFiles : speechFiles;
      const level = uniform([-35, -20]);
      const start = at;
      const count = kind === "speech" ? 2 : 2 + Math.floor(rand() * 3);
      const used: string[] = [];
      for (let k = 0; k < count && at < total; k++) {
        const file = pick(files);
        used.push(basename(file));
        const clip = await load(file);
        const n = Math.min(clip.length, total - at);
        const g = gain(level) / rms(clip);
        for (let i = 0; i < n; i++) out[at + i] += clip[i] * g;
        at += n;
      }
      length = at - start;
      at = start;
      event = {
        kind,
        start: start / RATE,
        end: (start + length) / RATE,
        onset: start / RATE,
        source: used.join(" "),
        label: cls,
        snrDb: null,
        levelDbfs: level,
      };
    }
    events.push(event);
    at += length + Math.round(uniform(options.gapSec) * RATE);
  }
  // keep clear of clipping: scale the whole mix down if needed
  let peak = 0;
  for (let i = 0; i < out.length; i++) peak = Math.max(peak, Math.abs(out[i]));
  if (peak > 0.99) {
    const g = 0.99 / peak;
    for (let i = 0; i < out.length; i++) out[i] *= g;
    for (const e of [...events, ...background]) e.levelDbfs += db(g);
  }
  return { samples: out, events, options, durationSec: total / RATE, inputs, background };
}
