import type { EpisodeParams } from "../../detection/episodes.js";
import { replayEpisodes } from "../../detection/room-calibration.js";
import { effectiveCry } from "../../detection/veto.js";
import { FULL_BAND_CRY_DIR } from "./sources.js";
import {
  BACKGROUND,
  type BenchEpisode,
  type BenchWindow,
  type FalseAlarmCategory,
  type StreamEvent,
} from "./types.js";

/** A cry counts as found when an episode is reported between its start and this long after its end. */
export const REPORT_GRACE_SEC = 3;

/** One cry of a stream and whether (and how soon after its onset) an episode reported it. */
export interface CryOutcome {
  source: string;
  snrDb: number | null;
  /** the clip played is a 16 kHz original (else an 8 kHz clip: nothing above 4 kHz) */
  fullBand: boolean;
  found: boolean;
  /** report time − cry onset (s); null when not found */
  latencySec: number | null;
}

/** Exposure and false episodes of one negative source (or a fold's background) in one stream. */
export interface NegativeExposure {
  /** the source, or `background:<fold>` for the background-only stretches */
  source: string;
  category: FalseAlarmCategory;
  seconds: number;
  falseEpisodes: number;
}

export interface StreamScore {
  cries: CryOutcome[];
  negatives: NegativeExposure[];
}

/** The episodes the daemon's episode logic reports over scored windows (laughter veto as in the pipeline). */
export function episodesOf(windows: readonly BenchWindow[], params: EpisodeParams): BenchEpisode[] {
  return replayEpisodes(
    windows.map((w) => ({
      startSec: w.startSec,
      endSec: w.endSec,
      levelDbfs: 0,
      cry: effectiveCry(w.cry, w.yamnetCry, w.laughter, params.laughterVeto),
      yamnetCry: w.yamnetCry,
    })),
    params,
  ).map((e) => ({ startSec: e.startSec, endSec: e.endSec, detectedSec: e.detectedSec }));
}

const overlap = (a0: number, a1: number, b0: number, b1: number) =>
  Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/**
 * Matches reported episodes to a stream's events. An episode reported (detectedSec) during a cry or up to
 * REPORT_GRACE_SEC after it finds that cry (the earliest such report gives the latency); any other episode is a
 * false episode, charged to the negative event its span [start, reported] overlaps most — or to the background
 * when it overlaps none. Exposure per source is the time its events play; the background's is the rest.
 */
export function scoreStream(
  episodes: readonly BenchEpisode[],
  events: readonly StreamEvent[],
  durationSec: number,
  backgroundSource: string = BACKGROUND,
): StreamScore {
  const cryEvents = events.filter((e) => e.kind === "cry");
  const reports = (c: StreamEvent) =>
    episodes.filter((ep) => ep.detectedSec >= c.start && ep.detectedSec <= c.end + REPORT_GRACE_SEC);
  const cries: CryOutcome[] = cryEvents.map((c) => {
    const first = reports(c).sort((a, b) => a.detectedSec - b.detectedSec)[0];
    return {
      source: c.source,
      snrDb: c.snrDb,
      fullBand: c.files[0]?.startsWith(`${FULL_BAND_CRY_DIR}/`) === true,
      found: first !== undefined,
      latencySec: first ? first.detectedSec - c.onset : null,
    };
  });
  const exposure = new Map<string, NegativeExposure>();
  const expose = (source: string, category: FalseAlarmCategory): NegativeExposure => {
    const key = `${source}|${category}`;
    let e = exposure.get(key);
    if (!e) {
      e = { source, category, seconds: 0, falseEpisodes: 0 };
      exposure.set(key, e);
    }
    return e;
  };
  let eventSeconds = 0;
  for (const e of events) {
    eventSeconds += e.end - e.start;
    if (e.kind === "negative") expose(e.source, e.category!).seconds += e.end - e.start;
  }
  const background = expose(backgroundSource, BACKGROUND);
  background.seconds += Math.max(0, durationSec - eventSeconds);
  for (const ep of episodes) {
    if (cryEvents.some((c) => ep.detectedSec >= c.start && ep.detectedSec <= c.end + REPORT_GRACE_SEC))
      continue;
    let best: StreamEvent | null = null;
    let bestOverlap = 0;
    for (const e of events) {
      if (e.kind !== "negative") continue;
      const o = overlap(ep.startSec, Math.max(ep.detectedSec, ep.startSec + 1e-6), e.start, e.end);
      if (o > bestOverlap) {
        best = e;
        bestOverlap = o;
      }
    }
    (best ? expose(best.source, best.category!) : background).falseEpisodes++;
  }
  return { cries, negatives: [...exposure.values()] };
}
