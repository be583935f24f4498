import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import Table from "cli-table3";
import type { Command } from "commander";
import { databasePath } from "../../app.js";
import { resolveDataDir } from "../../config/load.js";
import { episodeFeedback } from "../../learning/history.js";
import { listEpisodes } from "../../sinks/sqlite/database.js";
import { parseSince } from "../../util/since.js";
import { loadConfigOrExit, withConfigOption } from "../config-options.js";

export function register(program: Command): void {
  withConfigOption(
    program
      .command("history")
      .description("print recent cry episodes from the SQLite log")
      .option("--since <when>", "24h, 7d, 90m, or a date (default 7d)", "7d")
      .option("--limit <n>", "at most this many episodes (newest)", "50")
      .option("--db <file>", "database file (default: from the config)")
      .option("--json", "print JSON lines"),
  ).action((opts: { config?: string; since: string; limit: string; db?: string; json?: boolean }) => {
    let sinceMs: number;
    try {
      sinceMs = parseSince(opts.since);
    } catch (err) {
      process.stderr.write(`babymon: ${(err as Error).message}\n`);
      process.exit(2);
    }
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      process.stderr.write(`babymon: Expected \`--limit\` to be a positive integer, got ${opts.limit}\n`);
      process.exit(2);
    }
    let path = opts.db;
    if (!path) {
      const { config } = loadConfigOrExit(opts.config);
      path = databasePath(config, resolveDataDir(config));
    }
    if (!existsSync(path)) {
      process.stderr.write(`babymon: no database at ${path} yet (has \`babymon run\` been started?)\n`);
      process.exit(1);
    }
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = listEpisodes(db, { sinceMs, limit });
    const learned = episodeFeedback(db);
    db.close();
    if (opts.json) {
      for (const r of rows) {
        const line = {
          id: r.id,
          start: new Date(r.start_ms).toISOString(),
          end: r.end_ms === null ? null : new Date(r.end_ms).toISOString(),
          durationSec: r.duration_sec,
          peak: r.peak,
          reason: r.reason,
          confidence: r.confidence,
          probabilities: r.probabilities ? JSON.parse(r.probabilities) : null,
          levelDbfs: r.level_dbfs,
          status: r.status,
          models: { yamnet: r.yamnet_model, heads: r.heads_model },
          clip: r.clip_path,
          feedback: learned.labels.get(r.id) ?? null,
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      return;
    }
    if (rows.length === 0) {
      process.stdout.write(`no episodes since ${new Date(sinceMs).toISOString()}\n`);
      return;
    }
    const table = new Table({
      head: ["id", "start", "duration", "reason", "confidence", "peak", "level", "status", "feedback"],
      ...(process.stdout.isTTY ? {} : { style: { head: [], border: [] } }),
    });
    for (const r of rows) {
      table.push([
        r.id,
        new Date(r.start_ms).toLocaleString(),
        r.duration_sec === null ? "…" : `${r.duration_sec.toFixed(1)} s`,
        r.reason,
        r.probabilities ? `${Math.round(r.confidence * 100)} %` : "—",
        r.peak.toFixed(2),
        `${r.level_dbfs.toFixed(0)} dBFS`,
        r.status,
        learned.labels.get(r.id) ?? "",
      ]);
    }
    process.stdout.write(`${table.toString()}\n`);
    if (learned.line) process.stdout.write(`${learned.line}\n`);
  });
}
