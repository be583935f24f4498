import type { StorageConfig } from "../../config/schema.js";
import type { BabymonEvent, EpisodeInfo } from "../../events.js";
import type { Logger } from "../../logging.js";
import type { Sink } from "../sink.js";
import { type Db, usedBytes } from "./database.js";
import { diskMonitorOf, diskWrite, isDiskError } from "./disk-monitor.js";
import { WindowSummary } from "./window-summary.js";

const DAY_MS = 86_400_000;
const RETENTION_EVERY_MS = 3_600_000;
const DELETE_CHUNK = 500;

export interface SqliteSinkOptions {
  config: Pick<StorageConfig, "retentionDays" | "maxSizeMb" | "windowLog">;
  logger: Logger;
  /** Deletes clip files of episodes removed by retention (set when clips are on). */
  removeClip?: (path: string) => void;
  now?: () => number;
}

/**
 * Writes episodes (inserted at start, updated with the provisional reason and at the end), capture status changes,
 * health snapshots, daemon start/stop and (optionally) a sampled window log. Each event is one committed
 * transaction, so a crash loses nothing that was handled. Retention by age and by size runs at start and hourly.
 * A write the disk refuses (full, read-only) is reported to the database's DiskMonitor (the `disk` fault) and
 * counted as the sink's failure; at start and stop it does not stop the daemon: it listens and alerts without a log.
 */
export class SqliteSink implements Sink {
  readonly name = "sqlite";
  /** the record of every episode: the daemon does not run without it */
  readonly critical = true;
  private readonly stmts;
  private readonly windowSummary = new WindowSummary();
  private lastRetention = 0;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly o: SqliteSinkOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.stmts = {
      insertEpisode: db.prepare(
        `INSERT OR REPLACE INTO episodes (id, start_ms, start_sec, peak, reason, confidence, probabilities, level_dbfs,
           yamnet_model, heads_model, status, updated_ms)
         VALUES (@id, @start_ms, @start_sec, @peak, @reason, @confidence, @probabilities, @level_dbfs,
           @yamnet_model, @heads_model, 'open', @updated_ms)`,
      ),
      provisional: db.prepare(
        `UPDATE episodes SET provisional_reason = @reason, reason = @reason, confidence = @confidence,
           probabilities = @probabilities, peak = @peak, level_dbfs = @level_dbfs, updated_ms = @updated_ms
         WHERE id = @id`,
      ),
      endEpisode: db.prepare(
        `INSERT INTO episodes (id, start_ms, end_ms, start_sec, end_sec, duration_sec, peak, reason, confidence,
           probabilities, level_dbfs, yamnet_model, heads_model, status, updated_ms)
         VALUES (@id, @start_ms, @end_ms, @start_sec, @end_sec, @duration_sec, @peak, @reason, @confidence,
           @probabilities, @level_dbfs, @yamnet_model, @heads_model, 'closed', @updated_ms)
         ON CONFLICT(id) DO UPDATE SET end_ms = excluded.end_ms, end_sec = excluded.end_sec,
           duration_sec = excluded.duration_sec, peak = excluded.peak, reason = excluded.reason,
           confidence = excluded.confidence, probabilities = excluded.probabilities,
           level_dbfs = excluded.level_dbfs, status = 'closed', updated_ms = excluded.updated_ms`,
      ),
      health: db.prepare(
        "INSERT INTO health (at_ms, kind, capture, restarts, detail, data) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      window: db.prepare(
        "INSERT INTO windows (at_ms, time_sec, level_dbfs, cry, gated) VALUES (?, ?, ?, ?, ?)",
      ),
      interrupted: db.prepare("UPDATE episodes SET status = 'interrupted' WHERE status = 'open'"),
      // the closing event of an episode a kill interrupted (src/sinks/sqlite/interrupted.ts): it stays interrupted
      endInterrupted: db.prepare(
        `UPDATE episodes SET end_ms = @end_ms, end_sec = @end_sec, duration_sec = @duration_sec,
           status = 'interrupted', updated_ms = @updated_ms
         WHERE id = @id`,
      ),
    };
  }

  async start(): Promise<void> {
    this.#tolerateDisk("start", () => {
      const interrupted = this.stmts.interrupted.run().changes;
      if (interrupted > 0)
        this.o.logger.warn({ interrupted }, "episodes left open by an unclean stop marked interrupted");
      this.stmts.health.run(this.now(), "daemon_start", null, null, null, null);
      this.retention();
    });
  }

  /** At start and stop a disk that refuses writes is a fault (reported), not a reason to stop the daemon. */
  #tolerateDisk(what: string, write: () => void): void {
    try {
      diskWrite(this.db, what, write);
    } catch (error) {
      if (!isDiskError(error)) throw error;
    }
  }

  async handle(event: BabymonEvent): Promise<void> {
    const monitor = diskMonitorOf(this.db);
    try {
      if (this.write(event)) monitor.succeeded();
    } catch (error) {
      if (isDiskError(error)) monitor.failed(event.type, error);
      throw error;
    }
  }

  /** Returns whether anything was written (most window events are not). */
  private write(event: BabymonEvent): boolean {
    let wrote = event.type !== "window";
    switch (event.type) {
      case "episode_start":
        this.stmts.insertEpisode.run(this.episodeParams(event.episode));
        break;
      case "episode_update":
        this.stmts.provisional.run(this.episodeParams(event.episode));
        break;
      case "episode_end": {
        const e = event.episode;
        const statement = e.interrupted ? this.stmts.endInterrupted : this.stmts.endEpisode;
        statement.run({
          ...this.episodeParams(e),
          end_ms: e.endMs,
          end_sec: e.endSec,
          duration_sec: e.durationSec,
        });
        break;
      }
      case "capture":
        this.stmts.health.run(event.at, "capture", event.status, event.restarts, event.detail, null);
        break;
      case "health":
        this.stmts.health.run(
          event.at,
          "health",
          event.health.capture,
          null,
          null,
          JSON.stringify(event.health),
        );
        break;
      case "window": {
        if (!this.o.config.windowLog.enabled) break;
        const row = this.windowSummary.add(event, this.o.config.windowLog.every);
        if (row) {
          this.stmts.window.run(row.atMs, row.timeSec, row.levelDbfs, row.cry, row.gated ? 1 : 0);
          wrote = true;
        }
        break;
      }
    }
    if (this.now() - this.lastRetention >= RETENTION_EVERY_MS) {
      this.retention();
      wrote = true;
    }
    return wrote;
  }

  private episodeParams(e: EpisodeInfo) {
    return {
      id: e.id,
      start_ms: e.startMs,
      start_sec: e.startSec,
      peak: e.peak,
      reason: e.reason,
      confidence: e.confidence,
      probabilities: e.probabilities ? JSON.stringify(e.probabilities) : null,
      level_dbfs: e.levelDbfs,
      yamnet_model: e.models.yamnet,
      heads_model: e.models.heads,
      updated_ms: this.now(),
    };
  }

  /** Deletes rows past their age, then the oldest rows while the database is over its size limit. */
  retention(): { deleted: number } {
    this.lastRetention = this.now();
    const { retentionDays, maxSizeMb, windowLog } = this.o.config;
    const cutoff = this.now() - retentionDays * DAY_MS;
    let deleted = 0;
    deleted += this.deleteEpisodes("start_ms < ? AND status != 'open'", cutoff);
    deleted += this.db.prepare("DELETE FROM health WHERE at_ms < ?").run(cutoff).changes;
    deleted += this.db
      .prepare("DELETE FROM windows WHERE at_ms < ?")
      .run(this.now() - windowLog.retentionDays * DAY_MS).changes;
    const limit = maxSizeMb * 1024 * 1024;
    // Oldest first, in chunks until under the limit, the least valuable kind first: window log, health, the learning
    // embeddings of episodes nobody gave feedback on, episodes, and last the embeddings the parents labelled.
    const labelled = "episode_id IN (SELECT episode_id FROM learning_feedback WHERE episode_id IS NOT NULL)";
    const steps: Array<(n: number) => number> = [
      this.deleteRows("windows", "rowid IN (SELECT rowid FROM windows ORDER BY at_ms LIMIT ?)"),
      this.deleteRows("health", "id IN (SELECT id FROM health ORDER BY at_ms LIMIT ?)"),
      this.deleteRows(
        "learning_windows",
        `rowid IN (SELECT rowid FROM learning_windows WHERE NOT (${labelled}) ORDER BY at_ms LIMIT ?)`,
      ),
      (n) =>
        this.deleteEpisodes(
          "id IN (SELECT id FROM episodes WHERE status != 'open' ORDER BY start_ms LIMIT ?)",
          n,
        ),
      this.deleteRows(
        "learning_windows",
        "rowid IN (SELECT rowid FROM learning_windows ORDER BY at_ms LIMIT ?)",
      ),
    ];
    for (const step of steps) {
      while (usedBytes(this.db) > limit) {
        const n = step(DELETE_CHUNK);
        deleted += n;
        if (n === 0) break;
      }
    }
    if (deleted > 0) {
      this.db.pragma("incremental_vacuum");
      this.o.logger.info({ deleted }, "storage retention removed old rows");
    }
    return { deleted };
  }

  private deleteRows(table: string, where: string): (n: number) => number {
    const stmt = this.db.prepare(`DELETE FROM ${table} WHERE ${where}`);
    return (n) => stmt.run(n).changes;
  }

  private deleteEpisodes(where: string, arg: number): number {
    const clips = this.db
      .prepare<[number], { clip_path: string }>(
        `SELECT clip_path FROM episodes WHERE (${where}) AND clip_path IS NOT NULL`,
      )
      .all(arg);
    for (const c of clips) this.o.removeClip?.(c.clip_path);
    return this.db.prepare(`DELETE FROM episodes WHERE ${where}`).run(arg).changes;
  }

  async stop(): Promise<void> {
    this.#tolerateDisk("stop", () =>
      this.stmts.health.run(this.now(), "daemon_stop", null, null, null, null),
    );
    if (diskMonitorOf(this.db).failing)
      this.o.logger.warn({ path: this.db.name }, "stopping with a database that cannot be written");
  }
}
