import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import pino from "pino";
import { decodeWav } from "../../src/audio/wav.js";
import { loadConfig } from "../../src/config/load.js";
import type { BabymonEvent, EpisodeInfo } from "../../src/events.js";
import { ClipRecorder } from "../../src/sinks/clips/clip-recorder.js";
import { QueuedSink } from "../../src/sinks/queued-sink.js";
import type { Sink } from "../../src/sinks/sink.js";
import { type Db, openDatabase } from "../../src/sinks/sqlite/database.js";
import { SqliteSink } from "../../src/sinks/sqlite/sqlite-sink.js";

const logger = pino({ level: "silent" });
const info: EpisodeInfo = {
  id: "ep1",
  startMs: 0,
  startSec: 10,
  peak: 0.9,
  reason: "unsure",
  confidence: 0,
  probabilities: null,
  levelDbfs: -20,
  models: { yamnet: "x", heads: null },
};
const start: BabymonEvent = { type: "episode_start", at: 0, episode: info };
const end: BabymonEvent = {
  type: "episode_end",
  at: 0,
  episode: { ...info, endMs: 5000, endSec: 15, durationSec: 5 },
};
const second = (v: number) => new Float32Array(16000).fill(v);

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "babymon-clips-"));
  const db = openDatabase(join(dir, "c.db"));
  const { config } = loadConfig({ env: {}, overrides: { "storage.clips.enabled": true } });
  const sqlite = new SqliteSink(db, { config: config.storage, logger });
  const clips = new ClipRecorder(config.storage.clips, db, join(dir, "clips"), logger);
  return { db, sqlite, clips };
}

const clipPath = (db: Db) =>
  (db.prepare("SELECT clip_path FROM episodes WHERE id = 'ep1'").get() as { clip_path: string | null })
    .clip_path;

it("writes an episode clip with pre-roll, links it, and deletes it after its retention", async () => {
  const { db, sqlite, clips } = setup();
  await clips.start();
  for (let s = 0; s < 12; s++) clips.audio(second(s / 100)); // 12 s of audio, value = second index / 100
  await sqlite.handle(start);
  await clips.handle(start);
  for (let s = 12; s < 15; s++) clips.audio(second(s / 100));
  await sqlite.handle(end);
  await clips.handle(end);

  const path = clipPath(db);
  assert.ok(path && existsSync(path), "linked as soon as the end is handled");
  const wav = decodeWav(readFileSync(path), path);
  assert.equal(wav.samples.length, (15 - 8) * 16000, "from 2 s before the start to the end of the audio");
  assert.ok(Math.abs(wav.samples[0] - 0.08) < 1e-3, "pre-roll starts at second 8");

  utimesSync(path, new Date(0), new Date(0));
  assert.equal(clips.retention(), 1);
  assert.ok(!existsSync(path));
  assert.equal(clipPath(db), null);
  db.close();
});

it("behind the SQLite sink's queue, the clip is linked even when SQLite writes the row late", async () => {
  const { db, sqlite, clips } = setup();
  // the real SQLite sink, 50 ms late with every event (a busy disk): both events wait while the clip is cut
  const slowSqlite: Sink = {
    name: "sqlite",
    start: () => sqlite.start(),
    stop: () => sqlite.stop(),
    handle: async (e) => {
      await new Promise((r) => setTimeout(r, 50));
      await sqlite.handle(e);
    },
  };
  const clipQueue = new QueuedSink(clips);
  const sqliteQueue = new QueuedSink(slowSqlite, { handOn: (e) => clipQueue.enqueue(e) });
  await clipQueue.start();
  await sqliteQueue.start();
  const short = { ...info, startSec: 3 };
  for (let s = 0; s < 3; s++) clipQueue.audio(second(s / 100));
  sqliteQueue.enqueue({ type: "episode_start", at: 0, episode: short });
  for (let s = 3; s < 5; s++) clipQueue.audio(second(s / 100));
  sqliteQueue.enqueue({
    type: "episode_end",
    at: 0,
    episode: { ...short, endMs: 2000, endSec: 5, durationSec: 2 },
  });
  await sqliteQueue.stop();
  await clipQueue.stop();
  const path = clipPath(db);
  assert.ok(path && existsSync(path), `the clip is linked: ${path}`);
  const wav = decodeWav(readFileSync(path), path);
  assert.equal(wav.samples.length, 4 * 16000, "from second 1 (2 s pre-roll) to second 5");
  assert.ok(Math.abs(wav.samples[0] - 0.01) < 1e-3);
  db.close();
});
