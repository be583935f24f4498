import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { readAudioFile16k } from "../../audio/decode.js";
import { laughterScore } from "../../detection/veto.js";
import type { AudioWindow } from "../../detection/window-types.js";
import { WindowCutter } from "../../detection/windows.js";
import { HARD_NEGATIVES, SHARED_DATA } from "../../dev/mix.js";
import { REASONS } from "../../events.js";
import type { Analyzer } from "../../inference/types.js";
import { mulberry32, shuffleInPlace } from "../../train/random.js";
import { PROJECT_ROOT } from "../../version.js";
import { type QuantizedEmbedding, quantizeEmbedding } from "../quantize.js";

/**
 * The simulation's data: every negative clip of ../shared (household classes, baby laughter, a toddler, adult
 * speech) and every Donate-a-Cry cry, each placed over a quiet household background the way src/dev/mix.ts builds
 * its mixes (background −50…−35 dBFS, negatives −35…−20 dBFS, cries at 20/10/5/0 dB SNR), and analysed window by
 * window with the real analyzer, keeping what the daemon keeps: scores, level and the quantized embedding.
 * Household clips are played twice, at different levels over different backgrounds, as one room hears the same
 * cat again. Cached in .cache/ (git-ignored): YAMNet runs over ../shared once.
 */
export interface SimWindow {
  startSec: number;
  endSec: number;
  levelDbfs: number;
  cry: number;
  yamnetCry: number;
  laughter: number;
  reasons: number[] | null;
  embedding: QuantizedEmbedding;
}

export interface SimEvent {
  kind: "negative" | "cry";
  /** negative: household class, "laugh", "toddler" or "speech"; cry: "snr<dB>" (the cry stream) */
  source: string;
  /** relative to ../shared */
  file: string;
  /** cries: the app install (one family); negatives: the file */
  group: string;
  /** cries: the parents' label */
  reason: string | null;
  /** seconds of the event's own sound inside the analysed stretch (after MARGIN_BEFORE_SEC) */
  durationSec: number;
  windows: SimWindow[];
}

export const MARGIN_BEFORE_SEC = 2;
export const MARGIN_AFTER_SEC = 3;
export const CRY_SNRS_DB = [20, 10, 5, 0] as const;
const RATE = 16000;
const SHARED = join(PROJECT_ROOT, "..", "shared");

const listWavs = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".wav"))
        .sort()
        .map((f) => join(dir, f))
    : [];

function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length)) || 1e-9;
}

interface Planned {
  kind: SimEvent["kind"];
  source: string;
  path: string;
  group: string;
  reason: string | null;
  /** dBFS for negatives, SNR for cries */
  levelOrSnr: number;
  background: string;
  backgroundDbfs: number;
}

/** Which clips are played where, at which level: seeded, so the same seed gives the same simulation. */
export function planSimulation(seed: number): Planned[] {
  const rand = mulberry32(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const householdDir = join(SHARED_DATA, "household");
  const classes = readdirSync(householdDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const backgrounds = classes
    .filter((c) => !HARD_NEGATIVES.includes(c))
    .flatMap((c) => listWavs(join(householdDir, c)));
  const bg = () => ({
    background: backgrounds[Math.floor(rand() * backgrounds.length)],
    backgroundDbfs: uniform(-50, -35),
  });
  const plan: Planned[] = [];
  const negatives: Array<[string, string]> = [
    ...classes.flatMap((c) =>
      listWavs(join(householdDir, c)).flatMap((p) => [
        [c, p] as [string, string],
        [c, p] as [string, string],
      ]),
    ),
    ...listWavs(join(SHARED_DATA, "laugh")).map((p) => ["laugh", p] as [string, string]),
    ...listWavs(join(SHARED, "more-data", "toddler")).map((p) => ["toddler", p] as [string, string]),
    ...listWavs(join(SHARED, "more-data", "speech")).map((p) => ["speech", p] as [string, string]),
  ];
  shuffleInPlace(negatives, rand);
  for (const [source, path] of negatives)
    plan.push({
      kind: "negative",
      source,
      path,
      group: path,
      reason: null,
      levelOrSnr: uniform(-35, -20),
      ...bg(),
    });
  const cries = REASONS.flatMap((r) =>
    listWavs(join(SHARED_DATA, "donateacry", r)).map((p) => [r, p] as const),
  );
  const shuffled = shuffleInPlace([...cries], rand);
  shuffled.forEach(([reason, path], i) => {
    const snr = CRY_SNRS_DB[i % CRY_SNRS_DB.length];
    plan.push({
      kind: "cry",
      source: `snr${snr}`,
      path,
      group: basename(path).slice(0, 36),
      reason,
      levelOrSnr: snr,
      ...bg(),
    });
  });
  return plan;
}

async function renderEvent(p: Planned, load: (path: string) => Promise<Float32Array>): Promise<Float32Array> {
  const clip = await load(p.path);
  const before = MARGIN_BEFORE_SEC * RATE;
  const out = new Float32Array(before + clip.length + MARGIN_AFTER_SEC * RATE);
  const back = await load(p.background);
  const gb = 10 ** (p.backgroundDbfs / 20) / rms(back);
  for (let i = 0; i < out.length; i++) out[i] = back[i % back.length] * gb;
  const level = p.kind === "cry" ? 20 * Math.log10(rms(out)) + p.levelOrSnr : p.levelOrSnr;
  const g = 10 ** (level / 20) / rms(clip);
  for (let i = 0; i < clip.length; i++) out[before + i] += clip[i] * g;
  let peak = 0;
  for (let i = 0; i < out.length; i++) peak = Math.max(peak, Math.abs(out[i]));
  if (peak > 0.99) for (let i = 0; i < out.length; i++) out[i] *= 0.99 / peak;
  return out;
}

/** The windows of one stretch of audio as the pipeline cuts and analyses them, with their embeddings. */
export async function analyseStretch(
  samples: Float32Array,
  analyzer: Analyzer,
  hopSec = 0.48,
): Promise<SimWindow[]> {
  const windows: AudioWindow[] = [];
  new WindowCutter(hopSec).push(samples, (w) => windows.push(w));
  const out: SimWindow[] = [];
  for (let i = 0; i < windows.length; i += 8) {
    const part = windows.slice(i, i + 8);
    const results = await analyzer.analyze(part.map((w) => w.samples));
    results.forEach((r, k) => {
      out.push({
        startSec: part[k].startSec,
        endSec: part[k].endSec,
        levelDbfs: part[k].levelDbfs,
        cry: r.cry,
        yamnetCry: r.yamnetCry,
        laughter: laughterScore(r.scores),
        reasons: r.reasons ? REASONS.map((x) => r.reasons![x]) : null,
        embedding: quantizeEmbedding(r.embedding),
      });
    });
  }
  return out;
}

/** A copy: Buffer.from may hand out a slice of its shared pool, whose `.buffer` holds other data. */
function int8FromBase64(text: string): Int8Array {
  const b = Buffer.from(text, "base64");
  return new Int8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

interface CachedWindow extends Omit<SimWindow, "embedding"> {
  emb: string;
  scale: number;
}

/** The simulation's events, analysed once and cached under .cache/ by seed and models. */
export async function simulationEvents(
  seed: number,
  analyzer: Analyzer,
  log: (line: string) => void,
): Promise<SimEvent[]> {
  const dir = join(PROJECT_ROOT, ".cache");
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `learning-sim-s${seed}-${(analyzer.models.heads ?? "yamnet").replace(/[^\w.-]/g, "_")}-v1.json`,
  );
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, "utf8")) as Array<
      Omit<SimEvent, "windows"> & { windows: CachedWindow[] }
    >;
    return cached.map((e) => ({
      ...e,
      windows: e.windows.map(({ emb, scale, ...w }) => ({
        ...w,
        embedding: { data: int8FromBase64(emb), scale },
      })),
    }));
  }
  const plan = planSimulation(seed);
  const clips = new Map<string, Float32Array>();
  const load = async (path: string) => {
    let x = clips.get(path);
    if (!x) {
      x = (await readAudioFile16k(path)).samples;
      clips.set(path, x);
    }
    return x;
  };
  const events: SimEvent[] = [];
  const t0 = performance.now();
  for (const [i, p] of plan.entries()) {
    const samples = await renderEvent(p, load);
    events.push({
      kind: p.kind,
      source: p.source,
      file: p.path.slice(SHARED.length + 1),
      group: p.kind === "cry" ? p.group : p.path.slice(SHARED.length + 1),
      reason: p.reason,
      durationSec: (await load(p.path)).length / RATE,
      windows: await analyseStretch(samples, analyzer),
    });
    if (i % 100 === 99)
      log(`analysed ${i + 1}/${plan.length} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const serialised = events.map((e) => ({
    ...e,
    windows: e.windows.map(({ embedding, ...w }) => ({
      ...w,
      emb: Buffer.from(embedding.data.buffer, embedding.data.byteOffset, embedding.data.byteLength).toString(
        "base64",
      ),
      scale: embedding.scale,
    })),
  }));
  writeFileSync(file, JSON.stringify(serialised));
  return events;
}
