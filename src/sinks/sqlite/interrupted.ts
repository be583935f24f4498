import type { BabymonEvent, EndedEpisodeInfo, ReasonOrUnsure, ReasonProbabilities } from "../../events.js";
import type { Logger } from "../../logging.js";
import type { Db, EpisodeRow } from "./database.js";
import { diskWrite, isDiskError } from "./disk-monitor.js";

type OpenRow = EpisodeRow & { updated_ms: number };

/** An episode row left open by a kill, as the end the daemon never got to publish. */
function endOfOpenRow(row: OpenRow): EndedEpisodeInfo {
  // the last write of the row (its start, or the provisional reason) is the last moment it was known to go on
  const endMs = Math.max(row.start_ms, row.updated_ms);
  const durationSec = (endMs - row.start_ms) / 1000;
  return {
    id: row.id,
    startMs: row.start_ms,
    startSec: row.start_sec,
    endMs,
    endSec: row.start_sec + durationSec,
    durationSec,
    peak: row.peak,
    reason: row.reason as ReasonOrUnsure,
    confidence: row.confidence,
    probabilities: row.probabilities ? (JSON.parse(row.probabilities) as ReasonProbabilities) : null,
    levelDbfs: row.level_dbfs,
    models: { yamnet: row.yamnet_model, heads: row.heads_model },
    interrupted: true,
  };
}

/**
 * Episodes a kill (`kill -9`, power loss) left open: marks them `interrupted` and returns the closing
 * `episode_end` events (`interrupted: true`) for the sinks, so MQTT subscribers that got start/update also get an
 * end. On a disk that refuses the update the events are still returned (a later start may send them again: the
 * event id `<episode>:end` lets subscribers drop the repeat).
 */
export function closeInterruptedEpisodes(db: Db, logger: Logger, now = Date.now()): BabymonEvent[] {
  const rows = db
    .prepare<[], OpenRow>("SELECT * FROM episodes WHERE status = 'open' ORDER BY start_ms")
    .all();
  if (rows.length === 0) return [];
  try {
    diskWrite(db, "interrupted episodes", () =>
      db.prepare("UPDATE episodes SET status = 'interrupted' WHERE status = 'open'").run(),
    );
  } catch (error) {
    if (!isDiskError(error)) throw error;
  }
  logger.warn(
    { interrupted: rows.map((r) => r.id) },
    "episodes left open by an unclean stop marked interrupted; publishing their end",
  );
  return rows.map((row) => ({ type: "episode_end", at: now, episode: endOfOpenRow(row) }));
}
