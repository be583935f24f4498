import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EpisodeParams } from "../detection/episodes.js";
import { replayEpisodes } from "../detection/room-calibration.js";
import { effectiveCry } from "../detection/veto.js";
import type { AudioWindow } from "../detection/window-types.js";
import { WindowCutter } from "../detection/windows.js";
import type { Analyzer, WindowScores } from "../inference/types.js";
import { PROJECT_ROOT } from "../version.js";
import type { Mix, MixEvent } from "./mix.js";

/** A window of a mix as the pipeline cuts and scores it, with YAMNet's laughter score for the laughter veto. */
export interface ScoredMixWindow
  extends Pick<AudioWindow, "startSec" | "endSec" | "levelDbfs">,
    WindowScores {
  /** YAMNet's laughter score: max of classes 13–18 (Laughter, Baby laughter, Giggle, Snicker, Belly laugh, Chuckle) */
  laughter: number;
}

/** Cuts the audio into windows exactly as the pipeline does and scores them with the analyzer. */
export async function scoreWindows(
  samples: Float32Array,
  analyzer: Analyzer,
  hopSec: number,
  batch = 8,
): Promise<ScoredMixWindow[]> {
  const cutter = new WindowCutter(hopSec);
  const windows: AudioWindow[] = [];
  cutter.push(samples, (w) => windows.push(w));
  const out: ScoredMixWindow[] = [];
  for (let i = 0; i < windows.length; i += batch) {
    const part = windows.slice(i, i + batch);
    const results = await analyzer.analyze(part.map((w) => w.samples));
    results.forEach((r, k) => {
      const w = part[k];
      out.push({
        startSec: w.startSec,
        endSec: w.endSec,
        levelDbfs: w.levelDbfs,
        cry: r.cry,
        yamnetCry: r.yamnetCry,
        laughter: Math.max(...r.scores.subarray(13, 19)),
        reasons: r.reasons,
      });
    });
  }
  return out;
}

/** What names a mix's cached window scores: the mix (seed, minutes, files left out, held-out half) and the models. */
export interface MixScoreKey {
  seed: number;
  minutes: number;
  /** number of files left out of the mix (held-out mixes), or undefined for a mix of everything */
  excluded?: number;
  half?: string;
}

/**
 * scoreWindows() with its result cached in .cache/ (git-ignored), keyed by the mix, the models in use and the hop,
 * so that repeated evaluations (eval-mix, calibrate-episode) run YAMNet over a mix only once.
 */
export async function cachedWindowScores(
  samples: Float32Array,
  analyzer: Analyzer,
  hopSec: number,
  key: MixScoreKey,
  log?: (line: string) => void,
): Promise<ScoredMixWindow[]> {
  const cacheDir = join(PROJECT_ROOT, ".cache");
  mkdirSync(cacheDir, { recursive: true });
  const name = `mix-scores-s${key.seed}-m${key.minutes}${key.excluded !== undefined ? `-x${key.excluded}` : ""}${key.half ? `-half${key.half}` : ""}-${analyzer.models.heads ?? "yamnet"}-h${hopSec}-v2.json`;
  const cacheFile = join(cacheDir, name.replace(/[^\w.\-/]/g, "_"));
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, "utf8")) as ScoredMixWindow[];
  const t0 = performance.now();
  const windows = await scoreWindows(samples, analyzer, hopSec);
  log?.(
    `scored ${windows.length} windows in ${((performance.now() - t0) / 1000).toFixed(1)} s (${analyzer.backend})`,
  );
  writeFileSync(cacheFile, JSON.stringify(windows));
  return windows;
}

export interface EpisodeSpan {
  start: number;
  end: number;
  detected: number;
  peak: number;
}

/** The windows as the episode logic sees them: `score` in use, after the laughter veto when that is the cry score. */
export function replayWindows(
  windows: ScoredMixWindow[],
  params: EpisodeParams,
  score: "cry" | "yamnetCry" = "cry",
): ScoredMixWindow[] {
  return windows.map((w) => ({
    ...w,
    cry: score === "cry" ? effectiveCry(w.cry, w.yamnetCry, w.laughter, params.laughterVeto) : w[score],
  }));
}

/** Runs the episode state machine over scored windows (the pipeline's logic, gate off). */
export function episodesFor(
  windows: ScoredMixWindow[],
  params: EpisodeParams,
  score: "cry" | "yamnetCry" = "cry",
): EpisodeSpan[] {
  return replayEpisodes(replayWindows(windows, params, score), params).map((e) => ({
    start: e.startSec,
    end: e.endSec,
    detected: e.detectedSec,
    peak: e.peak,
  }));
}

export interface MixScore {
  cries: number;
  found: number;
  recall: number;
  recallBySnr: Record<string, { cries: number; found: number }>;
  falseEpisodes: number;
  falsePerHour: number;
  /** false episodes by the label of the non-cry event they overlap ("background:<class>" when none) */
  falseByLabel: Record<string, number>;
  nonCryHours: number;
  latencyMedianSec: number;
  latencyP95Sec: number;
  latencies: number[];
}

/** The q-quantile of ascending `sorted` (nearest rank); NaN when empty. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start < b.end && b.start < a.end;

/** A cry counts as found when an episode is reported between its start and this long after its end. */
export const REPORT_GRACE_SEC = 3;

/**
 * Recall, false episodes per hour of non-cry audio, onset latency (report time − cry onset). Matching is by the
 * time an episode is reported: an episode reported during a cry (or up to REPORT_GRACE_SEC after it) finds that
 * cry; an episode reported anywhere else is a false episode — so one endless episode cannot hide false alarms.
 */
export function scoreMix(
  episodes: EpisodeSpan[],
  events: MixEvent[],
  durationSec: number,
  background: Mix["background"] = [],
): MixScore {
  const cries = events.filter((e) => e.kind === "cry");
  const recallBySnr: MixScore["recallBySnr"] = {};
  const latencies: number[] = [];
  let found = 0;
  const reportsFor = (c: MixEvent) =>
    episodes.filter((ep) => ep.detected >= c.start && ep.detected <= c.end + REPORT_GRACE_SEC);
  for (const c of cries) {
    const key = `${c.snrDb} dB`;
    recallBySnr[key] ??= { cries: 0, found: 0 };
    recallBySnr[key].cries++;
    const hit = reportsFor(c).sort((a, b) => a.detected - b.detected)[0];
    if (hit) {
      found++;
      recallBySnr[key].found++;
      latencies.push(hit.detected - c.onset);
    }
  }
  const falseByLabel: Record<string, number> = {};
  let falseEpisodes = 0;
  for (const ep of episodes) {
    if (cries.some((c) => ep.detected >= c.start && ep.detected <= c.end + REPORT_GRACE_SEC)) continue;
    falseEpisodes++;
    const at = { start: ep.detected - 1, end: ep.detected };
    const other = events.find((e) => e.kind !== "cry" && overlaps(at, e));
    const under = background.find((b) => overlaps(at, b));
    const label = other ? `${other.kind}:${other.label}` : `background:${under?.label ?? "?"}`;
    falseByLabel[label] = (falseByLabel[label] ?? 0) + 1;
  }
  const cryTime = cries.reduce((s, c) => s + (c.end - c.start), 0);
  const nonCryHours = (durationSec - cryTime) / 3600;
  latencies.sort((a, b) => a - b);
  return {
    cries: cries.length,
    found,
    recall: cries.length ? found / cries.length : Number.NaN,
    recallBySnr,
    falseEpisodes,
    falsePerHour: falseEpisodes / nonCryHours,
    falseByLabel,
    nonCryHours,
    latencyMedianSec: quantile(latencies, 0.5),
    latencyP95Sec: quantile(latencies, 0.95),
    latencies,
  };
}
