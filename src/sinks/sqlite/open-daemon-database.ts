import { existsSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { FaultBoard } from "../../control/faults.js";
import type { Logger } from "../../logging.js";
import { type Db, openDatabase } from "./database.js";
import { DiskMonitor, isDiskFull, watchDiskWrites } from "./disk-monitor.js";

export interface DaemonDatabaseOptions {
  faults: FaultBoard;
  logger: Logger;
}

/** Removes what a failed first open left behind: an empty database file and its WAL and shared-memory files. */
function removeEmptyLeftovers(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (existsSync(file) && (file !== path || statSync(file).size === 0)) rmSync(file, { force: true });
    } catch {
      // best effort: a leftover empty file does no harm
    }
  }
}

/**
 * Opens the daemon's database and attaches its DiskMonitor (the `disk` fault). On a full disk the daemon must
 * still listen and alert: the error is logged with the path and SQLite's words, the `disk` fault is raised, and
 * null is returned — the daemon runs without its SQLite log (MQTT keeps its outbox in memory). Any other problem
 * (permissions, a newer schema) throws as openDatabase does.
 */
export function openDaemonDatabase(path: string, o: DaemonDatabaseOptions): Db | null {
  const existed = existsSync(path);
  let db: Db;
  try {
    db = openDatabase(path);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    if (!existed) removeEmptyLeftovers(path);
    const cause = ((error as Error).cause ?? error) as Error & { code?: string };
    const what = `Cannot write the database ${path}: ${cause.message} (${cause.code}): the disk is full`;
    o.faults.set(
      "disk",
      true,
      `${what}; running without the SQLite log (no episode history; detection settings at their defaults) until restarted with free space`,
    );
    o.logger.error(
      { path, code: cause.code, err: cause.message },
      `${what}. babymon listens and alerts (MQTT, LEDs) without its SQLite log, with the detection settings at their defaults; free space on ${dirname(path)} and restart it to record episodes again`,
    );
    return null;
  }
  watchDiskWrites(db, new DiskMonitor(path, o));
  return db;
}
