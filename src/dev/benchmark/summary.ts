import { mulberry32 } from "../../train/random.js";
import { quantile } from "../mix-eval.js";
import type { CryOutcome, NegativeExposure, StreamScore } from "./scorer.js";
import { BACKGROUND, type FalseAlarmCategory, NEGATIVE_CATEGORIES } from "./types.js";

/** A figure with its 95 % bootstrap interval over sources ([lo, hi]; NaN when it cannot be computed). */
export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

export interface DetectionSummary {
  cries: number;
  found: number;
  recall: Estimate;
  negativeHours: number;
  falseEpisodes: number;
  falsePerHour: Estimate;
  /** false episodes per hour of each negative category (and the background) */
  byCategory: Record<FalseAlarmCategory, { hours: number; falseEpisodes: number; perHour: Estimate }>;
  recallBySnr: Record<string, { cries: number; found: number }>;
  /** by the recording the cry was played from: its 16 kHz original, or the 8 kHz clip (no original) */
  recallByBand: Record<"16 kHz original" | "8 kHz only", { cries: number; found: number }>;
  latencyMedianSec: Estimate;
  latencyP95Sec: Estimate;
}

const CATEGORIES: FalseAlarmCategory[] = [...NEGATIVE_CATEGORIES, BACKGROUND];

function groupBy<T>(xs: readonly T[], key: (x: T) => string): T[][] {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return [...m.values()];
}

function figures(cries: readonly CryOutcome[], negatives: readonly NegativeExposure[]) {
  const found = cries.filter((c) => c.found).length;
  const seconds = negatives.reduce((s, n) => s + n.seconds, 0);
  const falseEpisodes = negatives.reduce((s, n) => s + n.falseEpisodes, 0);
  const latencies = cries
    .filter((c) => c.latencySec !== null)
    .map((c) => c.latencySec!)
    .sort((a, b) => a - b);
  return {
    recall: cries.length ? found / cries.length : Number.NaN,
    perHour: seconds > 0 ? falseEpisodes / (seconds / 3600) : Number.NaN,
    median: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
  };
}

/** 2.5 % and 97.5 % quantiles of the finite values. */
function interval(xs: number[]): [number, number] {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? [quantile(s, 0.025), quantile(s, 0.975)] : [Number.NaN, Number.NaN];
}

/**
 * Pooled figures of streams scored at one operating point, with 95 % intervals from a bootstrap over sources:
 * cry sources (families) and negative sources (each fold's background one source) resampled with replacement,
 * `reps` times, seeded.
 */
export function summarise(scores: readonly StreamScore[], reps = 1000, seed = 7): DetectionSummary {
  const cries = scores.flatMap((s) => s.cries);
  const negatives = scores.flatMap((s) => s.negatives);
  const point = figures(cries, negatives);
  const cryGroups = groupBy(cries, (c) => c.source);
  const negGroups = groupBy(negatives, (n) => n.source);
  const rand = mulberry32(seed);
  const draw = <T>(groups: T[][]): T[] => {
    const out: T[] = [];
    for (let i = 0; i < groups.length; i++) out.push(...groups[Math.floor(rand() * groups.length)]);
    return out;
  };
  const boot = {
    recall: [] as number[],
    perHour: [] as number[],
    median: [] as number[],
    p95: [] as number[],
  };
  const catBoot = new Map<FalseAlarmCategory, number[]>(CATEGORIES.map((c) => [c, []]));
  const catGroups = new Map(
    CATEGORIES.map((c) => [
      c,
      groupBy(
        negatives.filter((n) => n.category === c),
        (n) => n.source,
      ),
    ]),
  );
  for (let r = 0; r < reps; r++) {
    const f = figures(draw(cryGroups), draw(negGroups));
    boot.recall.push(f.recall);
    boot.perHour.push(f.perHour);
    boot.median.push(f.median);
    boot.p95.push(f.p95);
    for (const c of CATEGORIES) {
      const groups = catGroups.get(c)!;
      if (groups.length > 0) catBoot.get(c)!.push(figures([], draw(groups)).perHour);
    }
  }
  const est = (value: number, xs: number[]): Estimate => {
    const [lo, hi] = interval(xs);
    return { value, lo, hi };
  };
  const byCategory = {} as DetectionSummary["byCategory"];
  for (const c of CATEGORIES) {
    const ns = negatives.filter((n) => n.category === c);
    const hours = ns.reduce((s, n) => s + n.seconds, 0) / 3600;
    const falseEpisodes = ns.reduce((s, n) => s + n.falseEpisodes, 0);
    byCategory[c] = {
      hours,
      falseEpisodes,
      perHour: est(hours > 0 ? falseEpisodes / hours : Number.NaN, catBoot.get(c)!),
    };
  }
  const recallBySnr: DetectionSummary["recallBySnr"] = {};
  for (const c of cries) {
    const k = `${c.snrDb} dB`;
    recallBySnr[k] ??= { cries: 0, found: 0 };
    recallBySnr[k].cries++;
    if (c.found) recallBySnr[k].found++;
  }
  const recallByBand: DetectionSummary["recallByBand"] = {
    "16 kHz original": { cries: 0, found: 0 },
    "8 kHz only": { cries: 0, found: 0 },
  };
  for (const c of cries) {
    const b = recallByBand[c.fullBand ? "16 kHz original" : "8 kHz only"];
    b.cries++;
    if (c.found) b.found++;
  }
  return {
    cries: cries.length,
    found: cries.filter((c) => c.found).length,
    recall: est(point.recall, boot.recall),
    negativeHours: negatives.reduce((s, n) => s + n.seconds, 0) / 3600,
    falseEpisodes: negatives.reduce((s, n) => s + n.falseEpisodes, 0),
    falsePerHour: est(point.perHour, boot.perHour),
    byCategory,
    recallBySnr,
    recallByBand,
    latencyMedianSec: est(point.median, boot.median),
    latencyP95Sec: est(point.p95, boot.p95),
  };
}
