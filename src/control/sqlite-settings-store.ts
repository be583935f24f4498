import type Database from "better-sqlite3";
import type { SettingsStore } from "./detection-control.js";

export const SETTINGS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
)`;

/** Small daemon settings (detection on/off, sensitivity, published discovery topics) in the SQLite file. */
export class SqliteSettingsStore implements SettingsStore {
  readonly #get: Database.Statement<[string]>;
  readonly #set: Database.Statement<[string, string, number]>;

  constructor(db: Database.Database) {
    db.exec(SETTINGS_TABLE_SQL);
    this.#get = db.prepare("SELECT value FROM settings WHERE key = ?");
    this.#set = db.prepare(
      "INSERT INTO settings (key, value, updated_ms) VALUES (?, ?, ?) " +
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
    );
  }

  get(key: string): string | undefined {
    return (this.#get.get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.#set.run(key, value, Date.now());
  }
}
