import type { Db, EpisodeRow } from "../sinks/sqlite/database.js";
import type { NightTimeline, WebEpisode } from "./types.js";

/** Points a timeline is bucketed into at most (12 h → one point every ~36 s). */
const MAX_POINTS = 1200;

export function webEpisode(r: EpisodeRow): WebEpisode {
  return {
    id: r.id,
    startMs: r.start_ms,
    endMs: r.end_ms,
    durationSec: r.duration_sec,
    peak: r.peak,
    reason: r.reason,
    provisionalReason: r.provisional_reason,
    confidence: r.confidence,
    levelDbfs: r.level_dbfs,
    status: r.status,
  };
}

/** Episodes that started in [sinceMs, beforeMs), newest first, at most `limit` (page on with `before`). */
export function episodesBetween(db: Db, sinceMs: number, beforeMs: number, limit: number): WebEpisode[] {
  return db
    .prepare<[number, number, number], EpisodeRow>(
      "SELECT * FROM episodes WHERE start_ms >= ? AND start_ms < ? ORDER BY start_ms DESC LIMIT ?",
    )
    .all(sinceMs, beforeMs, limit)
    .map(webEpisode);
}

/**
 * A night from the database: the window log (`storage.windowLog`) bucketed into at most MAX_POINTS points (mean
 * level, highest cry probability: a short cry stays visible) and the episodes. Without the window log, only the
 * episodes.
 */
export function nightTimeline(db: Db, fromMs: number, toMs: number): NightTimeline {
  const bucketMs = Math.max(1000, Math.ceil((toMs - fromMs) / MAX_POINTS));
  // bucketMs is an integer computed here, not input: safe to write into the statement
  const points = db
    .prepare<[number, number], { atMs: number; levelDbfs: number; cry: number }>(
      `SELECT (at_ms / ${bucketMs}) * ${bucketMs} AS atMs, AVG(level_dbfs) AS levelDbfs, MAX(cry) AS cry
       FROM windows WHERE at_ms >= ? AND at_ms < ? GROUP BY at_ms / ${bucketMs} ORDER BY atMs`,
    )
    .all(fromMs, toMs);
  const anyLogged = db
    .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM (SELECT 1 FROM windows LIMIT 1)")
    .get();
  return {
    fromMs,
    toMs,
    points,
    episodes: episodesBetween(db, fromMs, toMs, 1000).reverse(),
    windowLog: (anyLogged?.n ?? 0) > 0,
  };
}
