import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { FaultBoard } from "../../src/control/faults.js";
import type { EpisodeInfo } from "../../src/events.js";
import { RepeatLimiter } from "../../src/logging.js";
import { ClipRecorder } from "../../src/sinks/clips/clip-recorder.js";
import { MqttOutbox } from "../../src/sinks/mqtt/outbox.js";
import { type Db, openDatabase, SqliteSettingsStore } from "../../src/sinks/sqlite/database.js";
import { DiskMonitor, watchDiskWrites } from "../../src/sinks/sqlite/disk-monitor.js";
import { closeInterruptedEpisodes } from "../../src/sinks/sqlite/interrupted.js";
import { SqliteSink } from "../../src/sinks/sqlite/sqlite-sink.js";
import { episodeInfo } from "../support/episode.js";
import { memoryLogger } from "../support/memory-logger.js";

/**
 * What the daemon does when its database file refuses writes. The refusal is SQLite's own: `PRAGMA query_only`
 * makes every write of that connection fail with SQLITE_READONLY, a disk error like SQLITE_FULL (the real full disk,
 * a tmpfs, is in test/integration/full-disk.test.ts).
 */
const dir = mkdtempSync(join(tmpdir(), "babymon-disk-faults-"));
let n = 0;

function database() {
  const db = openDatabase(join(dir, `db-${n++}.db`));
  const faults = new FaultBoard();
  const { log, lines } = memoryLogger();
  let now = 1_000_000;
  const monitor = watchDiskWrites(db, new DiskMonitor(db.name, { faults, logger: log, now: () => now }));
  const refuse = (on: boolean) => db.pragma(`query_only = ${on ? "ON" : "OFF"}`);
  return { db, faults, lines, monitor, refuse, tick: (ms: number) => (now += ms) };
}

const episode = (id: string, startMs: number): EpisodeInfo =>
  episodeInfo(id, startMs, {
    startSec: 12,
    reason: "unsure",
    confidence: 0.5,
    probabilities: null,
    models: { yamnet: "sha", heads: null },
  });

const topics = (outbox: MqttOutbox) => outbox.peek(0, 100).map((m) => m.payload);

describe("a database that refuses writes", () => {
  it("the MQTT outbox goes on in memory, in order and bounded, says so once, and goes back to the file", () => {
    const { db, faults, lines, refuse } = database();
    const outbox = new MqttOutbox(db, 10_000, 3);
    outbox.add("t", "a");
    outbox.add("t", "b");
    refuse(true);
    assert.equal(outbox.add("t", "c"), 0);
    outbox.add("t", "d");
    assert.deepEqual(topics(outbox), ["a", "b", "c", "d"]);
    assert.equal(outbox.inMemory, 2);
    assert.deepEqual(faults.active(), ["disk"]);
    assert.match(
      faults.details().disk,
      /^Cannot write .*db-0\.db: attempt to write a readonly database \(SQLITE_READONLY\); MQTT outbox in memory \(at most 3 messages, lost on restart\)$/,
    );
    assert.equal(lines.filter((l) => l.msg.startsWith("MQTT outbox in memory")).length, 1);
    assert.equal(outbox.add("t", "e"), 0);
    assert.equal(outbox.add("t", "f"), 1, "over 3 in memory: the oldest is dropped");
    assert.deepEqual(topics(outbox), ["a", "b", "d", "e", "f"]);

    // acknowledged while the file refuses the delete: skipped, deleted later
    const [a] = outbox.peek(0, 1);
    outbox.remove(a.id);
    assert.deepEqual(topics(outbox), ["b", "d", "e", "f"]);
    assert.equal(outbox.size(), 4);

    refuse(false);
    // memory is not empty yet: after the others, in memory (still bounded: d goes)
    assert.equal(outbox.add("t", "g"), 1);
    assert.deepEqual(topics(outbox), ["b", "e", "f", "g"]);
    for (const m of outbox.peek(0, 100)) outbox.remove(m.id);
    assert.equal(outbox.size(), 0);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM mqtt_outbox").get() as { n: number }).n, 0);
    outbox.add("t", "h");
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM mqtt_outbox").get() as { n: number }).n, 1);
    assert.equal(outbox.inMemory, 0);
    assert.ok(lines.some((l) => l.msg === "MQTT outbox back in the database"));
    assert.deepEqual(faults.active(), []);
  });

  it("the SQLite sink: one error line, a count once a minute, the fault cleared by the next write; start and stop go on", async () => {
    const { db, faults, lines, refuse, tick } = database();
    const config = loadConfig({ env: {} }).config.storage;
    const { log } = memoryLogger();
    const sink = new SqliteSink(db, { config, logger: log });
    refuse(true);
    await sink.start();
    let failures = 0;
    for (let i = 0; i < 100; i++) {
      tick(500);
      await sink
        .handle({ type: "capture", at: i, status: "online", restarts: 0, detail: null })
        .catch(() => failures++);
    }
    assert.equal(failures, 100, "each failed write still counts as the sink's failure");
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1 + 0, errors.map((l) => l.msg).join("\n"));
    tick(10_500);
    await sink
      .handle({ type: "capture", at: 0, status: "online", restarts: 0, detail: null })
      .catch(() => {});
    const repeat = lines.filter((l) => l.msg.startsWith("Still cannot write"));
    assert.equal(repeat.length, 1);
    assert.match(
      repeat[0].msg,
      /: 101 failed writes in the last 61 s \(attempt to write a readonly database\)$/,
    );
    assert.deepEqual(faults.active(), ["disk"]);
    refuse(false);
    await sink.handle({ type: "capture", at: 1, status: "online", restarts: 0, detail: null });
    assert.deepEqual(faults.active(), []);
    assert.ok(lines.some((l) => / can be written again after 102 failed writes$/.test(l.msg)));
    refuse(true);
    await sink.stop();
  });

  it("settings changed on a full disk take effect and are written with the next change that can be", () => {
    const { db, refuse } = database();
    const store = new SqliteSettingsStore(db);
    refuse(true);
    store.set("detection.enabled", "false");
    assert.equal(store.get("detection.enabled"), "false");
    refuse(false);
    store.set("detection.sensitivity", "0.7");
    const fresh = new SqliteSettingsStore(db);
    assert.equal(fresh.get("detection.enabled"), "false");
    assert.equal(fresh.get("detection.sensitivity"), "0.7");
  });
});

describe("an episode a kill left open", () => {
  it("is marked interrupted and closed by an end event that keeps it interrupted in the SQLite log", async () => {
    const { db } = database();
    const { log } = memoryLogger();
    const config = loadConfig({ env: {} }).config.storage;
    const sink = new SqliteSink(db, { config, logger: log, now: () => 5_000 });
    await sink.handle({ type: "episode_start", at: 2_000, episode: episode("e1", 1_000) });
    const ends = closeInterruptedEpisodes(db, log, 9_000);
    assert.equal(ends.length, 1);
    const [end] = ends;
    assert.equal(end.type, "episode_end");
    assert.ok(end.type === "episode_end");
    assert.deepEqual(
      { ...end.episode },
      {
        ...episode("e1", 1_000),
        endMs: 5_000,
        endSec: 16,
        durationSec: 4,
        interrupted: true,
      },
    );
    assert.equal(end.at, 9_000);
    await sink.handle(end);
    const row = db.prepare("SELECT status, end_ms, duration_sec FROM episodes WHERE id = 'e1'").get();
    assert.deepEqual({ ...(row as object) }, { status: "interrupted", end_ms: 5_000, duration_sec: 4 });
    assert.deepEqual(closeInterruptedEpisodes(db, log), [], "once only");
  });
});

describe("episode clips", () => {
  it("unfinished clips (part files, empty WAVs) are removed at start; whole ones stay", async () => {
    const { db } = database() as { db: Db };
    const clips = join(dir, "clips");
    const { log, lines } = memoryLogger();
    const recorder = new ClipRecorder(
      { enabled: true, dir: clips, preRollSec: 2, maxSec: 60, retentionDays: 7 },
      db,
      clips,
      log,
    );
    await recorder.start();
    writeFileSync(join(clips, "a.wav.part"), Buffer.alloc(1000));
    writeFileSync(join(clips, "b.wav"), Buffer.alloc(0));
    writeFileSync(join(clips, "c.wav"), Buffer.alloc(2000));
    await recorder.start();
    assert.ok(!existsSync(join(clips, "a.wav.part")));
    assert.ok(!existsSync(join(clips, "b.wav")));
    assert.ok(existsSync(join(clips, "c.wav")));
    assert.equal(lines.filter((l) => l.msg === "removed unfinished episode clips").length, 1);
  });
});

describe("RepeatLimiter", () => {
  it("lets the first line through, then one a minute per key with the count held back", () => {
    let now = 0;
    const limiter = new RepeatLimiter(60_000, () => now);
    assert.deepEqual(limiter.pass("a"), { repeats: 0 });
    for (let i = 0; i < 119; i++) {
      now += 500;
      assert.equal(limiter.pass("a"), null);
    }
    assert.deepEqual(limiter.pass("b"), { repeats: 0 }, "another key is another line");
    now += 500;
    assert.deepEqual(limiter.pass("a"), { repeats: 119 });
  });
});
