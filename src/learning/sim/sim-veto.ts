import type { EpisodeParams } from "../../detection/episodes.js";
import { replayEpisodes } from "../../detection/room-calibration.js";
import { effectiveCry } from "../../detection/veto.js";
import { mulberry32 } from "../../train/random.js";
import { kMeans } from "../prototypes.js";
import { dequantizeEmbedding, unitVector } from "../quantize.js";
import { CryVeto, type VetoParams } from "../veto.js";
import { MARGIN_BEFORE_SEC, type SimEvent, type SimWindow } from "./sim-data.js";

/** Average seconds of background between events in the mixes (src/dev/mix.ts gapSec 10–20 s): counted in the hours. */
export const GAP_SEC = 15;
/** A cry counts as found when an episode is reported during it or up to this long after (src/dev/mix-eval.ts). */
const GRACE_SEC = 3;
export const MARK_COUNTS = [1, 3, 5] as const;

export interface Episode {
  startSec: number;
  endSec: number;
  detectedSec: number;
}

/** The episodes the daemon raises on one event's windows (laughter veto, then the home's veto when given). */
export function episodesOf(windows: readonly SimWindow[], params: EpisodeParams, veto?: CryVeto): Episode[] {
  const scored = windows.map((w) => {
    const cry = effectiveCry(w.cry, w.yamnetCry, w.laughter, params.laughterVeto);
    // a window under the threshold counts for nothing: no need to ask the veto (as in the daemon, same result)
    const vetoed =
      veto !== undefined && cry > params.threshold && veto.vetoes(dequantizeEmbedding(w.embedding));
    return {
      startSec: w.startSec,
      endSec: w.endSec,
      levelDbfs: w.levelDbfs,
      yamnetCry: w.yamnetCry,
      cry: vetoed ? 0 : cry,
    };
  });
  return replayEpisodes(scored, params);
}

const cryFound = (e: SimEvent, episodes: Episode[]) =>
  episodes.some(
    (ep) =>
      ep.detectedSec >= MARGIN_BEFORE_SEC && ep.detectedSec <= MARGIN_BEFORE_SEC + e.durationSec + GRACE_SEC,
  );

/** The marked windows of a false episode: those inside it, as the daemon keeps them (`in_episode`). */
const markedWindows = (e: SimEvent, ep: Episode) =>
  e.windows
    .filter((w) => w.startSec >= ep.startSec - 0.001 && w.startSec <= ep.endSec)
    .map((w) => dequantizeEmbedding(w.embedding));

/** Cry prototypes from the crying windows of some cry events (k-means centres, unit vectors). */
export function buildPrototypes(cries: readonly SimEvent[], k: number, seed = 1): Float32Array[] {
  const crying = cries.flatMap((e) => e.windows.filter((w) => w.cry >= 0.9));
  // every n-th crying window, at most 2000: k-means over all would cost minutes and change little
  const step = Math.max(1, Math.ceil(crying.length / 2000));
  const points = crying
    .filter((_, i) => i % step === 0)
    .map((w) => unitVector(dequantizeEmbedding(w.embedding)));
  return kMeans(points, k, mulberry32(seed), 8);
}

/** Cries split by family (install) into two halves: prototypes from one half score the cries of the other. */
export function familyHalf(group: string): 0 | 1 {
  let h = 0;
  for (const c of group) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return (h % 2) as 0 | 1;
}

export interface SourceResult {
  source: string;
  falseEpisodes: number;
  hours: number;
  byMarks: Array<{
    marks: number;
    /** false episodes in the rest of the source, without and with the veto */
    restHours: number;
    before: number;
    after: number;
    /** the same, only on clips that were not marked (other recordings of that class) */
    beforeUnmarked: number;
    afterUnmarked: number;
    /** recall on each cry stream without and with the veto */
    recall: Record<string, { before: number; after: number; cries: number }>;
  }>;
}

/**
 * For each negative source: mark its first 1, 3, 5 false episodes "not a cry", train the veto on them (positives:
 * cry prototypes from the family half not being scored), then count that source's false episodes in the rest of its
 * events and the cries found on every cry stream, with and without the veto.
 */
export function simulateVeto(
  events: readonly SimEvent[],
  params: EpisodeParams,
  vetoParams: VetoParams,
  prototypesByHalf: [Float32Array[], Float32Array[]],
  sources?: ReadonlySet<string>,
): SourceResult[] {
  const cries = events.filter((e) => e.kind === "cry");
  const cryStreams = [...new Set(cries.map((e) => e.source))];
  const baseFound = cries.map((e) => cryFound(e, episodesOf(e.windows, params)));
  const negatives = events.filter((e) => e.kind === "negative" && (!sources || sources.has(e.source)));
  const bySource = new Map<string, SimEvent[]>();
  for (const e of negatives) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e]);
  const results: SourceResult[] = [];
  for (const [source, list] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    const eps = list.map((e) => episodesOf(e.windows, params));
    const falseList = list.flatMap((_e, i) => eps[i].map((ep) => ({ i, ep })));
    const hoursOf = (from: number) =>
      list.slice(from).reduce((s, e) => s + e.durationSec + GAP_SEC, 0) / 3600;
    const result: SourceResult = { source, falseEpisodes: falseList.length, hours: hoursOf(0), byMarks: [] };
    for (const marks of MARK_COUNTS) {
      if (falseList.length < marks) continue;
      const markedEvents = falseList.slice(0, marks);
      const lastMarked = markedEvents[marks - 1].i;
      // a mark is given after the episode: the rest starts after the event holding the last marked episode
      const marked = markedEvents.flatMap(({ i, ep }) => markedWindows(list[i], ep));
      const vetoes = prototypesByHalf.map((p) => CryVeto.train(marked, p, vetoParams)) as [CryVeto, CryVeto];
      const markedFiles = new Set(markedEvents.map(({ i }) => list[i].file));
      let before = 0;
      let after = 0;
      let beforeUnmarked = 0;
      let afterUnmarked = 0;
      for (let i = lastMarked + 1; i < list.length; i++) {
        const b = eps[i].length;
        // negatives are scored with the veto built on the first family half's prototypes
        const a = episodesOf(list[i].windows, params, vetoes[0]).length;
        before += b;
        after += a;
        if (!markedFiles.has(list[i].file)) {
          beforeUnmarked += b;
          afterUnmarked += a;
        }
      }
      const recall: SourceResult["byMarks"][number]["recall"] = {};
      for (const stream of cryStreams) recall[stream] = { before: 0, after: 0, cries: 0 };
      cries.forEach((e, k) => {
        const r = recall[e.source];
        r.cries++;
        if (baseFound[k]) r.before++;
        // a cry is scored with the prototypes of the other family half: its own family is never a positive
        const veto = vetoes[1 - familyHalf(e.group)];
        if (baseFound[k] && cryFound(e, episodesOf(e.windows, params, veto))) r.after++;
      });
      result.byMarks.push({
        marks,
        restHours: hoursOf(lastMarked + 1),
        before,
        after,
        beforeUnmarked,
        afterUnmarked,
        recall,
      });
    }
    results.push(result);
  }
  return results;
}
