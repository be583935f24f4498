import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { readAudioFile16k } from "../../audio/decode.js";
import type { YamnetModel } from "../../inference/yamnet.js";
import { mulberry32 } from "../../train/random.js";
import type { PoolInput } from "../../train/sequence-data.js";
import { PROJECT_ROOT } from "../../version.js";
import { foldFeatures } from "./features.js";
import { windowLabels } from "./labels.js";
import { SHARED_ROOT } from "./sources.js";
import { type FoldStream, pinkNoise, rms } from "./streams.js";
import type { BenchClip, NegativeCategory, StreamEvent } from "./types.js";

/**
 * Hard negatives for training only (the benchmark's evaluation streams stay real sources): synthetic voices from
 * espeak-ng (many languages and voice variants, plain talk, high-pitched "baby talk", sung syllables with pitch
 * jumps), generated deterministically into .cache/benchmark/espeak/, and mixtures of real negatives over a nursery
 * bed (speech over white noise, a cat over a lullaby, …). One stream, events back to back over a quiet pink-noise
 * background. A mixture's window hears two sources (the event's and the bed's `under`), so a fold's model trains
 * on it only when neither is in its test fold.
 */

const RATE = 16000;
export const ESPEAK_SOURCE = "espeak-ng";

/** espeak-ng voices: language + variant, men, women, children-like. */
const VOICES = [
  "en-us+m3",
  "en+f2",
  "fr+f3",
  "de+m1",
  "es+f4",
  "it+m2",
  "pt+f1",
  "nl+m4",
  "pl+f5",
  "ru+m5",
  "sv+f2",
  "hr+f3",
  "tr+m3",
  "hi+f4",
  "cmn+f1",
  "el+m2",
] as const;
const TEXTS = [
  "Hello sweetheart, are you hungry? Come here, let me pick you up, there we go.",
  "Good morning, did you sleep well? Mummy is here, daddy is coming, look at the little duck.",
  "Where is the bottle? I put it on the table next to the blanket, can you bring it please?",
];
/** syllables sung with pitch jumps, and long vowels (the closest a voice comes to a cry's voiced bursts) */
const SUNG = ["la", "na", "ah", "oh", "ooh", "mama", "eee", "wah"];

export interface EspeakUtterance {
  voice: string;
  pitch: number;
  speed: number;
  ssml: boolean;
  text: string;
}

/** The deterministic list of utterances: per voice two talks (one high-pitched), one sung line. */
export function espeakUtterances(): EspeakUtterance[] {
  const out: EspeakUtterance[] = [];
  const rand = mulberry32(91);
  VOICES.forEach((voice, v) => {
    out.push({
      voice,
      pitch: 40 + Math.floor(rand() * 20),
      speed: 150 + Math.floor(rand() * 30),
      ssml: false,
      text: TEXTS[v % 3],
    });
    out.push({
      voice,
      pitch: 85 + Math.floor(rand() * 15),
      speed: 120 + Math.floor(rand() * 30),
      ssml: false,
      text: TEXTS[(v + 1) % 3],
    });
    const notes = Array.from({ length: 10 }, (_, i) => {
      const syl = SUNG[Math.floor(rand() * SUNG.length)];
      const pitch = Math.round(-30 + rand() * 130);
      const long = i % 3 === 2 ? syl.replace(/[aeo]+$/, (m) => m.repeat(4)) : syl;
      return `<prosody pitch="${pitch >= 0 ? "+" : ""}${pitch}%" rate="${rand() < 0.5 ? "slow" : "medium"}">${long}</prosody>`;
    });
    out.push({ voice, pitch: 70, speed: 130, ssml: true, text: `<speak>${notes.join(" ")}</speak>` });
  });
  return out;
}

/** The wav of one utterance, made once into the cache (espeak-ng is deterministic for the same arguments). */
function espeakWav(u: EspeakUtterance, dir: string): string {
  const args = ["-v", u.voice, "-p", String(u.pitch), "-s", String(u.speed), ...(u.ssml ? ["-m"] : [])];
  const file = join(
    dir,
    `${createHash("sha256")
      .update(JSON.stringify([args, u.text]))
      .digest("hex")
      .slice(0, 16)}.wav`,
  );
  if (!existsSync(file)) {
    try {
      execFileSync("espeak-ng", [...args, "-w", `${file}.tmp`, u.text], {
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (err) {
      throw new Error(
        `espeak-ng ${args.join(" ")} failed (is espeak-ng installed?): ${(err as Error).message}`,
      );
    }
    renameSync(`${file}.tmp`, file);
  }
  return file;
}

export interface HardNegativeOptions {
  seed: number;
  /** foreground level range (dBFS RMS) */
  levelDbfs: [number, number];
  /** bed level relative to the foreground (dB) */
  bedDb: [number, number];
  /** background-only seconds between events */
  gapSec: number;
  /** clips per negative source used in mixtures */
  clipsPerSource: number;
}

export const DEFAULT_HARD_NEGATIVES: HardNegativeOptions = {
  seed: 3,
  levelDbfs: [-35, -20],
  bedDb: [-10, 0],
  gapSec: 2,
  clipsPerSource: 4,
};

interface Planned {
  file: string;
  rel: string;
  source: string;
  category: NegativeCategory;
  bed?: BenchClip;
}

/**
 * The mixture plan: a few clips of each speaker, the cats, dogs and the toddler, each over a nursery bed —
 * speech and the toddler over white noise or a lullaby, cats over lullabies and songs, dogs over white noise —
 * and every sung espeak-ng line over a bed too.
 */
function plan(clips: readonly BenchClip[], espeak: Planned[], o: HardNegativeOptions): Planned[] {
  const nursery = clips.filter((c) => c.source === "nursery");
  const noise = nursery.filter((c) => c.category === "white noise");
  const music = nursery.filter((c) => c.category === "music/lullaby");
  const out: Planned[] = [...espeak];
  if (nursery.length === 0) return out;
  const bySource = new Map<string, BenchClip[]>();
  for (const c of clips) {
    if (c.kind !== "negative" || !["speech", "cat", "dog", "toddler"].includes(c.category!)) continue;
    if (!bySource.has(c.source)) bySource.set(c.source, []);
    bySource.get(c.source)!.push(c);
  }
  let k = 0;
  const pick = (xs: BenchClip[]) => xs[k++ % xs.length];
  for (const [source, cs] of [...bySource.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const n = source === "toddler" ? 3 * o.clipsPerSource : o.clipsPerSource;
    for (const c of cs.slice(0, n)) {
      const beds = c.category === "cat" ? music : c.category === "dog" ? noise : k % 2 ? music : noise;
      out.push({
        file: join(SHARED_ROOT, c.rel),
        rel: c.rel,
        source,
        category: c.category!,
        bed: pick(beds.length ? beds : nursery),
      });
    }
  }
  for (const e of espeak.filter((_, i) => i % 3 === 2))
    out.push({ ...e, bed: pick(noise.length ? noise : nursery) });
  return out;
}

/** The hard-negative stream (fold −1: no benchmark fold), ready for foldFeatures. */
export async function hardNegativeStream(
  clips: readonly BenchClip[],
  o: HardNegativeOptions = DEFAULT_HARD_NEGATIVES,
): Promise<FoldStream> {
  const dir = join(PROJECT_ROOT, ".cache", "benchmark", "espeak");
  mkdirSync(dir, { recursive: true });
  const espeak: Planned[] = espeakUtterances().map((u) => {
    const file = espeakWav(u, dir);
    return {
      file,
      rel: `.cache/benchmark/espeak/${file.split("/").pop()}`,
      source: ESPEAK_SOURCE,
      category: "speech",
    };
  });
  const items = plan(clips, espeak, o);
  const rand = mulberry32(o.seed);
  const uniform = ([lo, hi]: [number, number]) => lo + (hi - lo) * rand();
  const audio = new Map<string, Float32Array>();
  const inputs: Record<string, string> = {};
  const load = async (file: string, rel: string) => {
    if (!audio.has(rel)) {
      audio.set(rel, (await readAudioFile16k(file)).samples);
      inputs[rel] = createHash("sha256").update(readFileSync(file)).digest("hex");
    }
    return audio.get(rel)!;
  };
  for (const it of items) {
    await load(it.file, it.rel);
    if (it.bed) await load(join(SHARED_ROOT, it.bed.rel), it.bed.rel);
  }
  const gap = Math.round(o.gapSec * RATE);
  const total = items.reduce((s, it) => s + audio.get(it.rel)!.length + gap, gap);
  const out = pinkNoise(total, rand);
  const bg = 10 ** (-45 / 20);
  for (let i = 0; i < total; i++) out[i] *= bg;
  const events: StreamEvent[] = [];
  let at = gap;
  for (const it of items) {
    const x = audio.get(it.rel)!;
    const g = 10 ** (uniform(o.levelDbfs) / 20) / rms(x);
    for (let i = 0; i < x.length; i++) out[at + i] += x[i] * g;
    const files = [it.rel];
    if (it.bed) {
      const bed = audio.get(it.bed.rel)!;
      const from = Math.floor(rand() * Math.max(1, bed.length - x.length));
      const seg = bed.subarray(from, from + x.length);
      const gb = (rms(x) * g * 10 ** (uniform(o.bedDb) / 20)) / rms(seg);
      for (let i = 0; i < seg.length; i++) out[at + i] += seg[i] * gb;
      files.push(it.bed.rel);
    }
    events.push({
      kind: "negative",
      source: it.source,
      category: it.category,
      start: at / RATE,
      end: (at + x.length) / RATE,
      onset: at / RATE,
      files,
      snrDb: null,
      ...(it.bed ? { under: { source: it.bed.source, category: it.bed.category! } } : {}),
      bandLimited: false,
    });
    at += x.length + gap;
  }
  let peak = 0;
  for (let i = 0; i < total; i++) peak = Math.max(peak, Math.abs(out[i]));
  if (peak > 0.99) for (let i = 0; i < total; i++) out[i] *= 0.99 / peak;
  return { fold: -1, samples: out, durationSec: total / RATE, events, inputs };
}

/** The hard-negative stream through YAMNet (both bands, cached like a fold's), labelled for the logit pool. */
export async function hardNegativeFeatures(
  clips: readonly BenchClip[],
  m: { yamnet: YamnetModel; hopSec: number; log?: (line: string) => void },
  o: HardNegativeOptions = DEFAULT_HARD_NEGATIVES,
): Promise<PoolInput> {
  const stream = await hardNegativeStream(clips, o);
  m.log?.(
    `hard negatives: ${stream.events.length} clips (${stream.events.filter((e) => e.source === ESPEAK_SOURCE).length} espeak-ng, ${stream.events.filter((e) => e.under).length} over a nursery bed), ${(stream.durationSec / 60).toFixed(1)} min`,
  );
  const f = await foldFeatures(stream, { yamnet: m.yamnet, heads: null, hopSec: m.hopSec, log: m.log });
  return {
    id: "hard negatives",
    fold: null,
    fullEmbedding: f.fullEmbedding,
    limitedEmbedding: f.limitedEmbedding,
    labels: windowLabels(f.startSec, f.info.events),
  };
}
