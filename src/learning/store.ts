import type { Db } from "../sinks/sqlite/database.js";
import { type FeedbackLabel, isFeedbackLabel } from "./labels.js";
import type { QuantizedEmbedding } from "./quantize.js";

const DAY_MS = 86_400_000;

/** One analysed window kept for learning. */
export interface StoredWindow {
  episodeId: string;
  atMs: number;
  timeSec: number;
  levelDbfs: number;
  cry: number;
  yamnetCry: number;
  /** inside the episode (not the ±context around it) */
  inEpisode: boolean;
  embedding: QuantizedEmbedding;
}

export interface FeedbackRow {
  id: number;
  episodeId: string | null;
  atMs: number | null;
  label: FeedbackLabel;
  source: string;
  createdMs: number;
}

export interface EpisodeRef {
  id: string;
  startMs: number;
  endMs: number | null;
  /** the general heads' reason probabilities, averaged over the episode (null without heads) */
  probabilities: Record<string, number> | null;
}

interface WindowRow {
  episode_id: string;
  at_ms: number;
  time_sec: number;
  level_dbfs: number;
  cry: number;
  yamnet_cry: number;
  in_episode: number;
  scale: number;
  embedding: Buffer;
}

interface FeedbackDbRow {
  id: number;
  episode_id: string | null;
  at_ms: number | null;
  label: string;
  source: string;
  created_ms: number;
}

const toWindow = (r: WindowRow): StoredWindow => ({
  episodeId: r.episode_id,
  atMs: r.at_ms,
  timeSec: r.time_sec,
  levelDbfs: r.level_dbfs,
  cry: r.cry,
  yamnetCry: r.yamnet_cry,
  inEpisode: r.in_episode === 1,
  embedding: {
    data: new Int8Array(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength),
    scale: r.scale,
  },
});

const toFeedback = (r: FeedbackDbRow): FeedbackRow => ({
  id: r.id,
  episodeId: r.episode_id,
  atMs: r.at_ms,
  label: (isFeedbackLabel(r.label) ? r.label : "cry_unknown_reason") as FeedbackLabel,
  source: r.source,
  createdMs: r.created_ms,
});

/** The learning tables (src/learning/schema.ts) of the daemon's SQLite database; the CLI opens the same file. */
export class LearningStore {
  constructor(private readonly db: Db) {}

  saveWindows(windows: readonly StoredWindow[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO learning_windows
         (episode_id, at_ms, time_sec, level_dbfs, cry, yamnet_cry, in_episode, scale, embedding)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const w of windows) {
        const e = w.embedding.data;
        insert.run(
          w.episodeId,
          w.atMs,
          w.timeSec,
          w.levelDbfs,
          w.cry,
          w.yamnetCry,
          w.inEpisode ? 1 : 0,
          w.embedding.scale,
          Buffer.from(e.buffer, e.byteOffset, e.byteLength),
        );
      }
    })();
  }

  /**
   * Marks the windows of an episode that start after its end (seconds of the input, as the episode's endSec) as
   * context: they were counted in while it was open.
   */
  closeEpisode(episodeId: string, endSec: number): void {
    this.db
      .prepare("UPDATE learning_windows SET in_episode = 0 WHERE episode_id = ? AND time_sec > ?")
      .run(episodeId, endSec + 0.001);
  }

  windowsOf(episodeId: string): StoredWindow[] {
    return this.db
      .prepare<[string], WindowRow>("SELECT * FROM learning_windows WHERE episode_id = ? ORDER BY time_sec")
      .all(episodeId)
      .map(toWindow);
  }

  episode(id: string): EpisodeRef | null {
    const row = this.db
      .prepare<
        [string],
        { id: string; start_ms: number; end_ms: number | null; probabilities: string | null }
      >("SELECT id, start_ms, end_ms, probabilities FROM episodes WHERE id = ?")
      .get(id);
    return row ? this.toRef(row) : null;
  }

  lastEpisode(): EpisodeRef | null {
    const row = this.db
      .prepare<[], { id: string; start_ms: number; end_ms: number | null; probabilities: string | null }>(
        "SELECT id, start_ms, end_ms, probabilities FROM episodes ORDER BY start_ms DESC, rowid DESC LIMIT 1",
      )
      .get();
    return row ? this.toRef(row) : null;
  }

  private toRef(row: { id: string; start_ms: number; end_ms: number | null; probabilities: string | null }) {
    return {
      id: row.id,
      startMs: row.start_ms,
      endMs: row.end_ms,
      probabilities: row.probabilities ? (JSON.parse(row.probabilities) as Record<string, number>) : null,
    };
  }

  /** The episode going on at this time (between its start and end, or still open), if any. */
  episodeAt(atMs: number): string | null {
    const row = this.db
      .prepare<[number, number], { id: string }>(
        "SELECT id FROM episodes WHERE start_ms <= ? AND coalesce(end_ms, start_ms + 600000) >= ? LIMIT 1",
      )
      .get(atMs, atMs);
    return row?.id ?? null;
  }

  /** Cries the parents say babymon missed (labels at a time, not on an episode). */
  missedCries(): number {
    return (
      this.db
        .prepare<[], { n: number }>("SELECT count(*) AS n FROM learning_feedback WHERE episode_id IS NULL")
        .get()?.n ?? 0
    );
  }

  hasWindows(episodeId: string): boolean {
    return (
      this.db.prepare("SELECT 1 FROM learning_windows WHERE episode_id = ? LIMIT 1").get(episodeId) !==
      undefined
    );
  }

  addFeedback(f: {
    episodeId: string | null;
    atMs?: number | null;
    label: FeedbackLabel;
    source: string;
    now?: number;
  }): number {
    return Number(
      this.db
        .prepare(
          "INSERT INTO learning_feedback (episode_id, at_ms, label, source, created_ms) VALUES (?, ?, ?, ?, ?)",
        )
        .run(f.episodeId, f.atMs ?? null, f.label, f.source, f.now ?? Date.now()).lastInsertRowid,
    );
  }

  /** Every label, oldest first. */
  feedback(): FeedbackRow[] {
    return this.db
      .prepare<[], FeedbackDbRow>("SELECT * FROM learning_feedback ORDER BY id")
      .all()
      .map(toFeedback);
  }

  /** The label that counts for each episode: its latest. */
  latestLabels(): Map<string, FeedbackLabel> {
    const latest = new Map<string, FeedbackLabel>();
    for (const f of this.feedback()) if (f.episodeId !== null) latest.set(f.episodeId, f.label);
    return latest;
  }

  /** Changes whenever a label is added or anything is forgotten: what the daemon polls. */
  revision(): string {
    const r = this.db
      .prepare<[], { top: number | null; n: number; w: number }>(
        `SELECT (SELECT max(id) FROM learning_feedback) AS top, (SELECT count(*) FROM learning_feedback) AS n,
           (SELECT count(*) FROM learning_windows) > 0 AS w`,
      )
      .get()!;
    return `${r.top ?? 0}:${r.n}:${r.w}`;
  }

  /** Deletes what is kept of one episode (its embeddings and labels), or of every episode. */
  forget(episodeId: string | null): { windows: number; labels: number } {
    return this.db.transaction(() => {
      if (episodeId === null) {
        const windows = this.db.prepare("DELETE FROM learning_windows").run().changes;
        const labels = this.db.prepare("DELETE FROM learning_feedback").run().changes;
        return { windows, labels };
      }
      const windows = this.db
        .prepare("DELETE FROM learning_windows WHERE episode_id = ?")
        .run(episodeId).changes;
      const labels = this.db
        .prepare("DELETE FROM learning_feedback WHERE episode_id = ?")
        .run(episodeId).changes;
      return { windows, labels };
    })();
  }

  /** Deletes embeddings and labels older than `retentionDays`. */
  retention(retentionDays: number, now = Date.now()): number {
    const cutoff = now - retentionDays * DAY_MS;
    const windows = this.db.prepare("DELETE FROM learning_windows WHERE at_ms < ?").run(cutoff).changes;
    const labels = this.db.prepare("DELETE FROM learning_feedback WHERE created_ms < ?").run(cutoff).changes;
    return windows + labels;
  }
}
