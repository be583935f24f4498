import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/load.js";
import type { EpisodeInfo } from "../../src/events.js";
import { openDatabase } from "../../src/sinks/sqlite/database.js";
import { SqliteSink } from "../../src/sinks/sqlite/sqlite-sink.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";
import { episodeInfo } from "../support/episode.js";
import { testOutputDir } from "./web-support.js";

const CLI = join(PROJECT_ROOT, "src", "cli", "main.ts");
const HOUR = 3_600_000;

const episode = (id: string, startMs: number): EpisodeInfo =>
  episodeInfo(id, startMs, {
    peak: 0.97,
    confidence: 0.8,
    probabilities: { hungry: 0.8, belly_pain: 0.05, burping: 0.05, discomfort: 0.05, tired: 0.05 },
    levelDbfs: -25,
  });

/** `babymon report` over a night the SQLite sink wrote: a PNG of the requested size, the episodes counted. */
test("babymon report --since --out writes the night from the SQLite log as a PNG", async () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-report-"));
  const path = join(dir, "babymon.db");
  const db = openDatabase(path);
  const { config } = loadConfig({ env: {} });
  const storage = { ...config.storage, windowLog: { enabled: true, every: 1, retentionDays: 7 } };
  const sink = new SqliteSink(db, { config: storage, logger: pino({ level: "silent" }) });
  await sink.start();
  const start = Date.now() - 10 * HOUR;
  // a window every 30 s for 9 h: quiet, with a cry at 2 h and one at 6 h
  for (let t = 0; t < 9 * HOUR; t += 30_000) {
    const crying = Math.abs(t - 2 * HOUR) < 120_000 || Math.abs(t - 6 * HOUR) < 60_000;
    await sink.handle({
      type: "window",
      at: start + t,
      timeSec: t / 1000,
      levelDbfs: crying ? -22 : -62,
      cry: crying ? 0.95 : 0.02,
      yamnetCry: 0,
      gated: false,
    });
  }
  for (const [id, at, sec] of [
    ["a", start + 2 * HOUR - 120_000, 240],
    ["b", start + 6 * HOUR - 60_000, 120],
  ] as const) {
    await sink.handle({ type: "episode_start", at, episode: episode(id, at) });
    const end = { ...episode(id, at), endMs: at + sec * 1000, endSec: sec, durationSec: sec };
    await sink.handle({ type: "episode_end", at: at + sec * 1000, episode: end });
  }
  await sink.stop();
  db.close();

  const out = join(testOutputDir("web-report"), "night.png");
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", CLI, "report", "--db", path, "--since", "11h", "--out", out],
    { cwd: PROJECT_ROOT, env: envWithoutBabymon({}), encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /night\.png: 2 episode\(s\), \d+ points of the window log\n$/);
  const png = readFileSync(out);
  assert.equal(png.subarray(1, 4).toString("ascii"), "PNG");
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width > 1200 && height > 400, `${width}×${height}`);

  const bad = spawnSync(
    process.execPath,
    ["--import", "tsx", CLI, "report", "--db", path, "--since", "soon"],
    {
      cwd: PROJECT_ROOT,
      env: envWithoutBabymon({}),
      encoding: "utf8",
    },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Expected `--since` to be a duration like 24h, 7d, 90m or a date, got "soon"/);
});
