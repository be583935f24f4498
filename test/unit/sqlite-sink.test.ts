import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/load.js";
import type { EpisodeInfo } from "../../src/events.js";
import { listEpisodes, MIGRATIONS, openDatabase } from "../../src/sinks/sqlite/database.js";
import { SqliteSink } from "../../src/sinks/sqlite/sqlite-sink.js";
import { episodeInfo } from "../support/episode.js";

const DAY = 86_400_000;
const logger = pino({ level: "silent" });

const episode = (id: string, startMs: number): EpisodeInfo => episodeInfo(id, startMs);

describe("SQLite sink", () => {
  it("migrates once, stores an episode from start to end, and marks unfinished ones interrupted", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "babymon-sqlite-")), "b.db");
    const db = openDatabase(path);
    assert.ok((db.pragma("user_version", { simple: true }) as number) >= MIGRATIONS.length);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    const { config } = loadConfig({ env: {} });
    const sink = new SqliteSink(db, { config: config.storage, logger });
    await sink.start();
    const now = Date.now();
    await sink.handle({ type: "episode_start", at: now, episode: episode("a", now) });
    await sink.handle({
      type: "episode_update",
      at: now,
      episode: { ...episode("a", now), reason: "tired" },
    });
    await sink.handle({
      type: "episode_end",
      at: now,
      episode: { ...episode("a", now), endMs: now + 9000, endSec: 9, durationSec: 9 },
    });
    await sink.handle({ type: "episode_start", at: now, episode: episode("b", now + 20_000) });
    await sink.stop();
    db.close();

    const again = openDatabase(path); // second open: no migration re-run
    const sink2 = new SqliteSink(again, { config: config.storage, logger });
    await sink2.start();
    const rows = listEpisodes(again, { sinceMs: 0 });
    assert.deepEqual(
      rows.map((r) => [r.id, r.status, r.reason, r.provisional_reason, r.duration_sec]),
      [
        ["a", "closed", "hungry", "tired", 9],
        ["b", "interrupted", "hungry", null, null],
      ],
    );
    again.close();
  });

  it("deletes rows by age and, over the size limit, the window log before episodes", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "babymon-sqlite-")), "r.db");
    const db = openDatabase(path);
    let now = Date.now();
    const { config } = loadConfig({
      env: {},
      overrides: {
        "storage.retentionDays": 30,
        "storage.maxSizeMb": 1,
        "storage.windowLog.enabled": true,
        "storage.windowLog.every": 1,
        "storage.windowLog.retentionDays": 3650,
      },
    });
    const sink = new SqliteSink(db, { config: config.storage, logger, now: () => now });
    await sink.start();
    const old = now - 40 * DAY;
    await sink.handle({
      type: "episode_end",
      at: old,
      episode: { ...episode("old", old), endMs: old, endSec: 1, durationSec: 1 },
    });
    await sink.handle({
      type: "episode_end",
      at: now,
      episode: { ...episode("new", now), endMs: now, endSec: 1, durationSec: 1 },
    });
    const insert = db.transaction(() => {
      for (let i = 0; i < 40_000; i++) {
        db.prepare(
          "INSERT INTO windows (at_ms, time_sec, level_dbfs, cry, gated) VALUES (?, ?, ?, ?, 0)",
        ).run(now - i, i, -40, 0.01);
      }
    });
    insert();
    now += 1;
    const { deleted } = sink.retention();
    assert.ok(deleted > 1);
    const ids = listEpisodes(db, { sinceMs: 0 }).map((r) => r.id);
    assert.deepEqual(ids, ["new"], "old episode gone by age, recent one kept");
    const windows = (db.prepare("SELECT count(*) AS n FROM windows").get() as { n: number }).n;
    assert.ok(windows < 40_000 && windows > 0, `window log trimmed to fit 1 MB, kept ${windows}`);
    db.close();
  });

  it("over the size limit, drops unlabelled learning embeddings before episodes, and labelled ones last", async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "babymon-sqlite-")), "l.db"));
    const now = Date.now();
    const { config } = loadConfig({
      env: {},
      overrides: { "storage.maxSizeMb": 1, "storage.windowLog.enabled": false },
    });
    const sink = new SqliteSink(db, { config: config.storage, logger, now: () => now });
    await sink.start();
    await sink.handle({
      type: "episode_end",
      at: now,
      episode: { ...episode("kept", now), endMs: now, endSec: 1, durationSec: 1 },
    });
    const blob = Buffer.alloc(1024, 7);
    const insert = db.prepare(
      `INSERT INTO learning_windows (episode_id, at_ms, time_sec, level_dbfs, cry, yamnet_cry, in_episode, scale, embedding)
       VALUES (?, ?, ?, -30, 0.9, 0.5, 1, 0.01, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 8; i++) insert.run("labelled", now - 1000, i, blob);
      for (let i = 0; i < 3000; i++) insert.run(`unlabelled-${i}`, now - i, i, blob);
    })();
    db.prepare(
      "INSERT INTO learning_feedback (episode_id, at_ms, label, source, created_ms) VALUES ('labelled', ?, 'not_cry', 'cli', ?)",
    ).run(now, now);
    sink.retention();
    const count = (where: string) =>
      (db.prepare(`SELECT count(*) AS n FROM learning_windows WHERE ${where}`).get() as { n: number }).n;
    assert.equal(count("episode_id = 'labelled'"), 8, "the labelled episode's windows are kept");
    const unlabelled = count("episode_id != 'labelled'");
    assert.ok(unlabelled < 3000, `unlabelled embeddings trimmed to fit 1 MB, kept ${unlabelled}`);
    assert.deepEqual(
      listEpisodes(db, { sinceMs: 0 }).map((r) => r.id),
      ["kept"],
      "the episode is kept while unlabelled embeddings can go",
    );
    db.close();
  });
});
