import type Database from "better-sqlite3";
import type { FaultBoard } from "../../control/faults.js";
import type { Logger } from "../../logging.js";

type Db = Database.Database;

/** SQLite result codes (better-sqlite3's `code`) and errno codes that mean "the disk will not take this write". */
const DISK_CODES = /^(SQLITE_FULL|SQLITE_IOERR|SQLITE_READONLY|ENOSPC|EDQUOT|EROFS|EIO)/;
/** SHMSIZE: opening a WAL database on a full disk fails to grow its `-shm` file, before any write */
const FULL_CODES = /^(SQLITE_FULL|SQLITE_IOERR_SHMSIZE|ENOSPC|EDQUOT)$/;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : "";
}

/** True for a write that failed because of the disk (full, read-only, I/O error), not because of the query. */
export function isDiskError(error: unknown): boolean {
  return DISK_CODES.test(codeOf(error));
}

/** True when the disk (or the user's quota) is full; also for an error whose `cause` says so. */
export function isDiskFull(error: unknown): boolean {
  return FULL_CODES.test(codeOf(error)) || FULL_CODES.test(codeOf((error as { cause?: unknown })?.cause));
}

export interface DiskMonitorOptions {
  faults?: FaultBoard;
  logger?: Logger;
  /** A repeat of the same failure is logged at most this often, with the count since the last line. */
  repeatEveryMs?: number;
  now?: () => number;
}

/**
 * The `disk` fault of one database file: every part that writes it (the SQLite log, the MQTT outbox, the settings,
 * the clip recorder) reports its failed and successful writes here. The first failure is logged at once with the
 * path and SQLite's own words and raises the fault (with that line as its detail in health); repeats are counted and
 * logged at most once a minute; the first successful write clears the fault and says how many writes failed.
 */
export class DiskMonitor {
  readonly #o: DiskMonitorOptions;
  #failing = false;
  #detail = "";
  #failed = 0;
  #sinceLog = 0;
  #lastLogMs = 0;
  readonly #notes = new Map<string, string>();

  constructor(
    readonly path: string,
    options: DiskMonitorOptions = {},
  ) {
    this.#o = options;
  }

  get failing(): boolean {
    return this.#failing;
  }

  /** Failed writes since the fault was raised (0 while the disk takes writes). */
  get failedWrites(): number {
    return this.#failed;
  }

  /** `what` failed to write (e.g. "episode", "MQTT outbox"); `path` when it is another file than the database. */
  failed(what: string, error: unknown, path = this.path): void {
    const now = (this.#o.now ?? Date.now)();
    const err = (error as Error)?.message ?? String(error);
    const code = (error as { code?: string })?.code;
    this.#failed++;
    this.#sinceLog++;
    if (!this.#failing) {
      this.#failing = true;
      this.#detail = `Cannot write ${path}: ${err}${code ? ` (${code})` : ""}`;
      this.#publish();
      this.#o.logger?.error(
        { path, what, code, err },
        `${this.#detail}; episodes are not recorded until it can be written again (Home Assistant and MQTT still get every alert)`,
      );
      this.#sinceLog = 0;
      this.#lastLogMs = now;
      return;
    }
    if (now - this.#lastLogMs >= (this.#o.repeatEveryMs ?? 60_000)) {
      const seconds = Math.round((now - this.#lastLogMs) / 1000);
      this.#o.logger?.error(
        { path, what, code, err, failedWrites: this.#sinceLog, totalFailedWrites: this.#failed },
        `Still cannot write ${path}: ${this.#sinceLog} failed writes in the last ${seconds} s (${err})`,
      );
      this.#sinceLog = 0;
      this.#lastLogMs = now;
    }
  }

  /** A write went through: the disk takes writes again. */
  succeeded(): void {
    if (!this.#failing) return;
    this.#o.logger?.info(
      { path: this.path, failedWrites: this.#failed },
      `${this.path} can be written again after ${this.#failed} failed writes`,
    );
    this.#failing = false;
    this.#failed = 0;
    this.#sinceLog = 0;
    this.#o.faults?.set("disk", false);
  }

  /** A standing remark for the fault's detail (e.g. the MQTT outbox is in memory); null removes it. */
  note(key: string, text: string | null): void {
    if (text === null) this.#notes.delete(key);
    else this.#notes.set(key, text);
    if (this.#failing) this.#publish();
  }

  get logger(): Logger | undefined {
    return this.#o.logger;
  }

  #publish(): void {
    const notes = [...this.#notes.values()];
    this.#o.faults?.set("disk", true, [this.#detail, ...notes].join("; "));
  }
}

const monitors = new WeakMap<Db, DiskMonitor>();

/** Makes `monitor` the one every writer of `db` reports to (the composition root does, when it opens the file). */
export function watchDiskWrites(db: Db, monitor: DiskMonitor): DiskMonitor {
  monitors.set(db, monitor);
  return monitor;
}

/** The monitor of `db`; a silent one (no fault board, no log) when nobody attached one (tests, tools). */
export function diskMonitorOf(db: Db): DiskMonitor {
  let monitor = monitors.get(db);
  if (!monitor) {
    monitor = new DiskMonitor(db.name);
    monitors.set(db, monitor);
  }
  return monitor;
}

/**
 * Runs one write of `what` against `db`: reports success or a disk failure to its monitor. A disk failure is
 * rethrown (the caller's sink counts it), any other error too.
 */
export function diskWrite<T>(db: Db, what: string, write: () => T): T {
  const monitor = diskMonitorOf(db);
  let result: T;
  try {
    result = write();
  } catch (error) {
    if (isDiskError(error)) monitor.failed(what, error);
    throw error;
  }
  monitor.succeeded();
  return result;
}
