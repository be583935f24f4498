import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { LEARNING_MIGRATION } from "../../learning/schema.js";
import { whyFileNotWritable, whyNotWritable } from "../../util/writable-dir.js";
import { diskMonitorOf, isDiskError } from "./disk-monitor.js";

export type Db = Database.Database;

/**
 * Versioned schema: migration i brings `PRAGMA user_version` from i to i + 1. Append only — never edit a released
 * migration. Other modules (e.g. the MQTT outbox) keep their tables in the same file and may add theirs here.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE episodes (
     id TEXT PRIMARY KEY,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER,
     start_sec REAL NOT NULL,
     end_sec REAL,
     duration_sec REAL,
     peak REAL NOT NULL,
     reason TEXT NOT NULL,
     confidence REAL NOT NULL,
     probabilities TEXT,
     provisional_reason TEXT,
     level_dbfs REAL NOT NULL,
     yamnet_model TEXT NOT NULL,
     heads_model TEXT,
     status TEXT NOT NULL CHECK (status IN ('open', 'closed', 'interrupted')),
     clip_path TEXT,
     updated_ms INTEGER NOT NULL
   );
   CREATE INDEX episodes_start ON episodes (start_ms);
   CREATE TABLE health (
     id INTEGER PRIMARY KEY,
     at_ms INTEGER NOT NULL,
     kind TEXT NOT NULL,
     capture TEXT,
     restarts INTEGER,
     detail TEXT,
     data TEXT
   );
   CREATE INDEX health_at ON health (at_ms);
   CREATE INDEX health_kind_at ON health (kind, at_ms);
   CREATE TABLE windows (
     at_ms INTEGER NOT NULL,
     time_sec REAL NOT NULL,
     level_dbfs REAL NOT NULL,
     cry REAL NOT NULL,
     gated INTEGER NOT NULL
   );
   CREATE INDEX windows_at ON windows (at_ms);
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: the MQTT outbox (src/sinks/mqtt/outbox.ts): episode messages kept until the broker acknowledges them
  `CREATE TABLE mqtt_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     topic TEXT NOT NULL,
     payload TEXT NOT NULL,
     created_ms INTEGER NOT NULL
   );`,
  // 3: feedback labels and the episodes' window embeddings (src/learning/schema.ts)
  LEARNING_MIGRATION,
];

/** Why the database file at `path` could not be opened for writing (its folder, or the file itself); null if it can. */
export function databaseProblem(path: string): string | null {
  return whyNotWritable(dirname(path)) ?? whyFileNotWritable(path);
}

export function openDatabase(path: string): Db {
  const problem = databaseProblem(path);
  if (problem) throw new Error(`Cannot open the database ${path}: ${problem}`);
  let db: Db;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw new Error(`Cannot open the database ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // auto_vacuum must be chosen before the first table exists; INCREMENTAL lets retention give space back.
    if ((db.pragma("user_version", { simple: true }) as number) === 0) db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    // WAL + NORMAL: a committed transaction survives a crash of the process (kill -9); fsync at checkpoints.
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    migrate(db);
  } catch (err) {
    db.close();
    throw new Error(`Cannot open the database ${path}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

export function migrate(db: Db): number {
  const from = db.pragma("user_version", { simple: true }) as number;
  if (from > MIGRATIONS.length) {
    throw new Error(
      `Database schema version ${from} is newer than this babymon knows (${MIGRATIONS.length}); upgrade babymon`,
    );
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}

/**
 * Key/value settings (detection switch, sensitivity) persisted in the database. A value the disk will not take is
 * kept in memory (and reported as the `disk` fault) and written with the next change once it can: a command from
 * Home Assistant still takes effect on a full disk.
 */
export class SqliteSettingsStore {
  private readonly getStmt;
  private readonly setStmt;
  private readonly unwritten = new Map<string, string>();

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string], { value: string }>("SELECT value FROM settings WHERE key = ?");
    this.setStmt = db.prepare(
      "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
  }

  get(key: string): string | undefined {
    return this.unwritten.get(key) ?? this.getStmt.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.unwritten.set(key, value);
    try {
      for (const [k, v] of this.unwritten) {
        this.setStmt.run(k, v);
        this.unwritten.delete(k);
      }
    } catch (error) {
      if (!isDiskError(error)) throw error;
      diskMonitorOf(this.db).failed("settings", error);
      return;
    }
    diskMonitorOf(this.db).succeeded();
  }
}

export interface EpisodeRow {
  id: string;
  start_ms: number;
  end_ms: number | null;
  start_sec: number;
  end_sec: number | null;
  duration_sec: number | null;
  peak: number;
  reason: string;
  confidence: number;
  probabilities: string | null;
  provisional_reason: string | null;
  level_dbfs: number;
  yamnet_model: string;
  heads_model: string | null;
  status: "open" | "closed" | "interrupted";
  clip_path: string | null;
}

export function listEpisodes(db: Db, options: { sinceMs?: number; limit?: number } = {}): EpisodeRow[] {
  return db
    .prepare<[number, number], EpisodeRow>(
      "SELECT * FROM (SELECT * FROM episodes WHERE start_ms >= ? ORDER BY start_ms DESC LIMIT ?) ORDER BY start_ms",
    )
    .all(options.sinceMs ?? 0, options.limit ?? 50);
}

/** Bytes used by live pages (the file may be larger until space is vacuumed). */
export function usedBytes(db: Db): number {
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const pages = db.pragma("page_count", { simple: true }) as number;
  const free = db.pragma("freelist_count", { simple: true }) as number;
  return (pages - free) * pageSize;
}
