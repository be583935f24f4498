import type Database from "better-sqlite3";

export interface OutboxMessage {
  id: number;
  topic: string;
  payload: string;
  createdMs: number;
}

/**
 * Episode messages waiting for the broker, in the daemon's SQLite database: a row is written before any
 * attempt to publish and deleted only when the broker has acknowledged it (PUBACK), so messages survive a
 * broker outage and a daemon restart and go out in insertion order. The table (`mqtt_outbox`) is created by
 * the database's migrations (src/sinks/sqlite/database.ts).
 */
export class MqttOutbox {
  readonly #insert: Database.Statement<[string, string, number]>;
  readonly #next: Database.Statement<[number, number]>;
  readonly #delete: Database.Statement<[number]>;
  readonly #count: Database.Statement<[]>;
  readonly #trim: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly maxRows = 10_000,
  ) {
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

  /** Returns the number of rows dropped to stay within `maxRows` (oldest first). */
  add(topic: string, payload: string, nowMs = Date.now()): number {
    this.#insert.run(topic, payload, nowMs);
    const excess = this.size() - this.maxRows;
    if (excess > 0) return this.#trim.run(excess).changes;
    return 0;
  }

  /** The oldest messages with an id greater than `afterId`. */
  peek(afterId = 0, limit = 16): OutboxMessage[] {
    return this.#next.all(afterId, limit) as OutboxMessage[];
  }

  remove(id: number): void {
    this.#delete.run(id);
  }

  size(): number {
    return (this.#count.get() as { n: number }).n;
  }
}
