import type Database from "better-sqlite3";
import { diskMonitorOf, isDiskError } from "../sqlite/disk-monitor.js";

export interface OutboxMessage {
  id: number;
  topic: string;
  payload: string;
  createdMs: number;
}

/** Messages kept in memory while the database cannot be written (full disk): bounded, lost on restart. */
export const MEMORY_OUTBOX_MAX = 1000;

/**
 * Episode messages waiting for the broker, in the daemon's SQLite database: a row is written before any
 * attempt to publish and deleted only when the broker has acknowledged it (PUBACK), so messages survive a
 * broker outage and a daemon restart and go out in insertion order. The table (`mqtt_outbox`) is created by
 * the database's migrations (src/sinks/sqlite/database.ts).
 *
 * The alert path must not depend on the disk: when a row cannot be written (full disk, read-only file), the
 * message goes into a bounded in-memory queue instead (negative ids), after the rows already stored, and so do
 * the messages after it until that queue has drained — order holds. This is logged and shown in the `disk` fault.
 */
export class MqttOutbox {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, string, number]>;
  readonly #next: Database.Statement<[number, number]>;
  readonly #delete: Database.Statement<[number]>;
  readonly #count: Database.Statement<[]>;
  readonly #trim: Database.Statement<[number]>;
  readonly #memory: OutboxMessage[] = [];
  #memoryId = 0;
  /** since the last failed write and until the next successful one (logged once each way) */
  #onDisk = true;
  /** rows the broker acknowledged but the disk would not let us delete: skipped, deleted later */
  readonly #acknowledged = new Set<number>();

  constructor(
    db: Database.Database,
    private readonly maxRows = 10_000,
    private readonly memoryMax = MEMORY_OUTBOX_MAX,
  ) {
    this.#db = db;
    this.#insert = db.prepare("INSERT INTO mqtt_outbox (topic, payload, created_ms) VALUES (?, ?, ?)");
    this.#next = db.prepare(
      "SELECT id, topic, payload, created_ms AS createdMs FROM mqtt_outbox WHERE id > ? ORDER BY id LIMIT ?",
    );
    this.#delete = db.prepare("DELETE FROM mqtt_outbox WHERE id = ?");
    this.#count = db.prepare("SELECT COUNT(*) AS n FROM mqtt_outbox");
    this.#trim = db.prepare(
      "DELETE FROM mqtt_outbox WHERE id IN (SELECT id FROM mqtt_outbox ORDER BY id LIMIT ?)",
    );
  }

  /** Messages waiting in memory (the database could not be written). */
  get inMemory(): number {
    return this.#memory.length;
  }

  /** Returns the number of messages dropped to stay within `maxRows` (oldest first). */
  add(topic: string, payload: string, nowMs = Date.now()): number {
    if (this.#memory.length === 0) {
      try {
        this.#insert.run(topic, payload, nowMs);
        this.#backOnDisk();
        const excess = this.#durableSize() - this.maxRows;
        return excess > 0 ? this.#trim.run(excess).changes : 0;
      } catch (error) {
        if (!isDiskError(error)) throw error;
        this.#toMemory(error);
      }
    }
    this.#memory.push({ id: --this.#memoryId, topic, payload, createdMs: nowMs });
    const excess = this.#memory.length - this.memoryMax;
    if (excess > 0) this.#memory.splice(0, excess);
    return Math.max(0, excess);
  }

  #toMemory(error: unknown): void {
    const monitor = diskMonitorOf(this.#db);
    monitor.failed("MQTT outbox", error);
    if (!this.#onDisk) return;
    this.#onDisk = false;
    const note = `MQTT outbox in memory (at most ${this.memoryMax} messages, lost on restart)`;
    monitor.note("outbox", note);
    monitor.logger?.warn(
      { path: this.#db.name, max: this.memoryMax, err: (error as Error).message },
      `${note}: the database cannot be written; live state and events are still published`,
    );
  }

  #backOnDisk(): void {
    const monitor = diskMonitorOf(this.#db);
    monitor.succeeded();
    if (this.#onDisk) return;
    this.#onDisk = true;
    monitor.note("outbox", null);
    monitor.logger?.info({ path: this.#db.name }, "MQTT outbox back in the database");
  }

  /** The oldest messages: stored rows with an id greater than `afterId`, then those in memory. */
  peek(afterId = 0, limit = 16): OutboxMessage[] {
    const rows = (this.#next.all(afterId, limit + this.#acknowledged.size) as OutboxMessage[]).filter(
      (m) => !this.#acknowledged.has(m.id),
    );
    return [...rows, ...this.#memory].slice(0, limit);
  }

  remove(id: number): void {
    if (id < 0) {
      const i = this.#memory.findIndex((m) => m.id === id);
      if (i >= 0) this.#memory.splice(i, 1);
      return;
    }
    this.#acknowledged.add(id);
    try {
      for (const done of this.#acknowledged) {
        this.#delete.run(done);
        this.#acknowledged.delete(done);
      }
    } catch (error) {
      if (!isDiskError(error)) throw error;
      diskMonitorOf(this.#db).failed("MQTT outbox", error);
    }
  }

  size(): number {
    return this.#durableSize() - this.#acknowledged.size + this.#memory.length;
  }

  #durableSize(): number {
    return (this.#count.get() as { n: number }).n;
  }
}
