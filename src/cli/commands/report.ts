import { existsSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import type { Command } from "commander";
import { databasePath } from "../../app.js";
import { resolveDataDir } from "../../config/load.js";
import { renderPng } from "../../train/plots.js";
import { parseSince } from "../../util/since.js";
import { nightTimeline } from "../../web/night.js";
import { nightSpec } from "../../web/night-report.js";
import { loadConfigOrExit, withConfigOption } from "../config-options.js";

function fail(message: string, code: number): never {
  process.stderr.write(`babymon: ${message}\n`);
  process.exit(code);
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command("report")
      .description("the night as a PNG: level, cry probability and episodes from the SQLite log")
      .option("--since <when>", "start: 12h, 7d, 90m ago, or a date (default 12h)", "12h")
      .option("--hours <n>", "how many hours from the start (default: until now)")
      .option("--out <file>", "PNG to write", "night.png")
      .option("--db <file>", "database file (default: from the config)"),
  ).action(async (opts: { config?: string; since: string; hours?: string; out: string; db?: string }) => {
    const now = Date.now();
    let fromMs: number;
    try {
      fromMs = parseSince(opts.since, now);
    } catch (err) {
      fail((err as Error).message, 2);
    }
    let toMs = now;
    if (opts.hours !== undefined) {
      const h = Number(opts.hours);
      if (!(h > 0 && h <= 24 * 31))
        fail(`Expected \`--hours\` to be a number of hours above 0, got ${opts.hours}`, 2);
      toMs = fromMs + h * 3_600_000;
    }
    if (toMs <= fromMs)
      fail(`Expected \`--since\` to be in the past, got ${new Date(fromMs).toISOString()}`, 2);
    let path = opts.db;
    if (!path) {
      const { config } = loadConfigOrExit(opts.config);
      path = databasePath(config, resolveDataDir(config));
    }
    if (!existsSync(path)) fail(`no database at ${path} yet (has \`babymon run\` been started?)`, 1);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const night = nightTimeline(db, fromMs, toMs);
    db.close();
    const out = resolve(opts.out);
    await renderPng(nightSpec(night), out);
    process.stdout.write(
      `${out}: ${night.episodes.length} episode(s), ${night.points.length} points of the window log` +
        `${night.windowLog ? "" : " (storage.windowLog.enabled is off: episodes only)"}\n`,
    );
  });
}
