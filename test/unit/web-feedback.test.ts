import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Fastify from "fastify";
import pino from "pino";
import { loadConfig } from "../../src/config/load.js";
import { type FeedbackTarget, feedbackTargetFor } from "../../src/learning/feedback-command.js";
import { LearningStore } from "../../src/learning/store.js";
import type { SinkContext } from "../../src/sinks/sink.js";
import { type Db, openDatabase } from "../../src/sinks/sqlite/database.js";
import { registerFeedbackApi } from "../../src/web/feedback.js";

const DAY_MS = 86_400_000;

/** A real SQLite file with one closed episode and the windows the learning sink keeps of it. */
function database(startMs: number): Db {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "babymon-web-feedback-")), "b.db"));
  db.prepare(
    `INSERT INTO episodes (id, start_ms, end_ms, start_sec, end_sec, duration_sec, peak, reason, confidence,
       level_dbfs, yamnet_model, status, updated_ms)
     VALUES ('ep1', ?, ?, 0, 8, 8, 0.99, 'unsure', 0.5, -30, 'sha', 'closed', ?)`,
  ).run(startMs, startMs + 8000, startMs + 8000);
  new LearningStore(db).saveWindows(
    [0, 480, 960].map((t) => ({
      episodeId: "ep1",
      atMs: startMs + t,
      timeSec: t / 1000,
      levelDbfs: -30,
      cry: 0.99,
      yamnetCry: 0.5,
      inEpisode: true,
      embedding: { data: new Int8Array(1024).fill(1), scale: 0.01 },
    })),
  );
  return db;
}

async function post(target: FeedbackTarget, body: unknown) {
  const app = Fastify();
  registerFeedbackApi(app, target, pino({ level: "silent" }));
  const res = await app.inject({
    method: "POST",
    url: "/api/feedback",
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(body),
  });
  await app.close();
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

const labels = (db: Db) => db.prepare("SELECT episode_id, label, source FROM learning_feedback").all();

describe("POST /api/feedback", () => {
  it("records a label from the page (source web), once, and answers with it", async () => {
    const db = database(Date.now() - 60_000);
    const target = { store: new LearningStore(db), retentionDays: 90 };
    assert.deepEqual(await post(target, { episode_id: "ep1", label: "not_cry" }), {
      status: 200,
      body: { episodeId: "ep1", label: "not_cry", unchanged: false },
    });
    assert.deepEqual((await post(target, { episode_id: "last", label: "not_cry" })).body, {
      episodeId: "ep1",
      label: "not_cry",
      unchanged: true,
    });
    assert.equal((await post(target, { label: "tired" })).status, 200, "no episode_id: the last episode");
    assert.deepEqual(labels(db), [
      { episode_id: "ep1", label: "not_cry", source: "web" },
      { episode_id: "ep1", label: "tired", source: "web" },
    ]);
  });

  it("an expired episode is a 409 with the warning, and nothing is written", async () => {
    const db = database(Date.now() - 91 * DAY_MS);
    const r = await post(
      { store: new LearningStore(db), retentionDays: 90 },
      { episode_id: "ep1", label: "tired" },
    );
    assert.equal(r.status, 409);
    assert.match(String(r.body.error), /^episode ep1 has expired: .*learning\.retentionDays 90/);
    assert.deepEqual(labels(db), []);
  });

  it("with learning off or no database: 503 saying why", async () => {
    const target = (env: Record<string, string>, database: Db | null) =>
      feedbackTargetFor({ config: loadConfig({ env }).config, database } as SinkContext);
    const db = database(Date.now());
    const off = target({ BABYMON_LEARNING__ENABLED: "false" }, db);
    assert.deepEqual(await post(off, { label: "tired" }), {
      status: 503,
      body: { error: "feedback cannot be kept: learning is off (`learning.enabled: false`)" },
    });
    const noDb = await post(target({}, null), { label: "tired" });
    assert.equal(noDb.status, 503);
    assert.match(
      String(noDb.body.error),
      /^feedback cannot be kept: storage is off \(`storage\.enabled: false`\)/,
    );
    assert.deepEqual(labels(db), []);
    assert.ok("store" in target({}, db), "on, with a database: the learning store");
  });
});
