import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import pino from "pino";
import { decodeWav } from "../../src/audio/wav.js";
import { loadConfig } from "../../src/config/load.js";
import { ClipRecorder } from "../../src/detection/clips.js";
import type { EpisodeInfo } from "../../src/events.js";
import { openDatabase } from "../../src/sinks/sqlite/database.js";
import { SqliteSink } from "../../src/sinks/sqlite/sqlite-sink.js";

it("writes an episode clip with pre-roll, links it, and deletes it after its retention", async () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-clips-"));
  const db = openDatabase(join(dir, "c.db"));
  const { config } = loadConfig({ env: {}, overrides: { "storage.clips.enabled": true } });
  const logger = pino({ level: "silent" });
  const sink = new SqliteSink(db, { config: config.storage, logger });
  const clips = new ClipRecorder(config.storage.clips, db, join(dir, "clips"), logger);
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
  const second = (v: number) => new Float32Array(16000).fill(v);
  for (let s = 0; s < 12; s++) clips.onAudio(second(s / 100)); // 12 s of audio, value = second index / 100
  const start = { type: "episode_start" as const, at: 0, episode: info };
  await sink.handle(start);
  clips.onEvent(start);
  for (let s = 12; s < 15; s++) clips.onAudio(second(s / 100));
  const end = {
    type: "episode_end" as const,
    at: 0,
    episode: { ...info, endMs: 5000, endSec: 15, durationSec: 5 },
  };
  await sink.handle(end);
  clips.onEvent(end);
  await new Promise((r) => setTimeout(r, 300));

  const row = db.prepare("SELECT clip_path FROM episodes WHERE id = 'ep1'").get() as { clip_path: string };
  assert.ok(row.clip_path && existsSync(row.clip_path));
  const wav = decodeWav(readFileSync(row.clip_path), row.clip_path);
  assert.equal(wav.samples.length, (15 - 8) * 16000, "from 2 s before the start to the end of the audio");
  assert.ok(Math.abs(wav.samples[0] - 0.08) < 1e-3, "pre-roll starts at second 8");

  utimesSync(row.clip_path, new Date(0), new Date(0));
  assert.equal(clips.retention(), 1);
  assert.ok(!existsSync(row.clip_path));
  assert.equal(
    (db.prepare("SELECT clip_path FROM episodes WHERE id = 'ep1'").get() as { clip_path: null }).clip_path,
    null,
  );
  db.close();
});
