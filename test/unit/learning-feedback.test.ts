import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/load.js";
import type { EpisodeInfo } from "../../src/events.js";
import { applyFeedback } from "../../src/learning/feedback.js";
import {
  feedbackCommandHandler,
  MAX_FEEDBACK_PER_SEC,
  parseFeedbackPayload,
} from "../../src/learning/feedback-command.js";
import { LearningSink } from "../../src/learning/learning-sink.js";
import { LearningStore } from "../../src/learning/store.js";
import { type Db, openDatabase } from "../../src/sinks/sqlite/database.js";
import { SqliteSink } from "../../src/sinks/sqlite/sqlite-sink.js";
import { episodeInfo } from "../support/episode.js";

const logger = pino({ level: "silent" });
const { config } = loadConfig({ env: {} });
const DIM = 1024;

const episode = (id: string, startMs: number): EpisodeInfo =>
  episodeInfo(id, startMs, {
    peak: 0.99,
    reason: "unsure",
    confidence: 0.8,
    probabilities: { hungry: 0.8, belly_pain: 0.05, burping: 0.05, discomfort: 0.05, tired: 0.05 },
  });

/** A direction in embedding space: most weight on `k` dimensions around `at`. */
function embedding(at: number, noise = 0, seed = 1): Float32Array {
  const x = new Float32Array(DIM);
  let s = seed;
  for (let i = 0; i < DIM; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = noise * (s / 2147483648) + (Math.abs(i - at) < 20 ? 1 : 0);
  }
  return x;
}

/** A database with one episode from t0 (8 s, windows every 0.48 s from 6 s before to 8 s after) as the daemon writes it. */
async function daemonDatabase(t0: number, emb = embedding(100)): Promise<{ db: Db; sink: LearningSink }> {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "babymon-learn-")), "b.db"));
  const sqlite = new SqliteSink(db, { config: config.storage, logger });
  const sink = new LearningSink({
    store: new LearningStore(db),
    config: config.learning,
    logger,
    prototypes: () => [],
  });
  await sqlite.start();
  await sink.start();
  const send = async (e: Parameters<SqliteSink["handle"]>[0]) => {
    await sqlite.handle(e);
    await sink.handle(e);
  };
  for (let t = -6000; t <= 16_000; t += 480) {
    const at = t0 + t;
    await send({
      type: "window",
      at,
      timeSec: (t - 975) / 1000,
      levelDbfs: -30,
      cry: 0.99,
      yamnetCry: 0.5,
      gated: false,
      embedding: emb,
    });
    if (t === 1680) await send({ type: "episode_start", at, episode: episode("ep1", t0) });
    if (t === 10_320)
      await send({
        type: "episode_end",
        at,
        episode: { ...episode("ep1", t0), endMs: t0 + 8000, endSec: 8, durationSec: 8 },
      });
  }
  return { db, sink };
}

describe("learning store and feedback", () => {
  it("keeps the windows of an episode and 5 s around it, int8 with a scale, ~1 KB a window", async () => {
    const t0 = 1_700_000_000_000;
    const { db, sink } = await daemonDatabase(t0);
    const windows = new LearningStore(db).windowsOf("ep1");
    const starts = windows.map((w) => w.atMs - 975 - t0);
    assert.ok(
      Math.min(...starts) >= -5000 && Math.min(...starts) < -4500,
      `first window start ${Math.min(...starts)}`,
    );
    assert.ok(
      Math.max(...starts) <= 13_000 && Math.max(...starts) > 12_500,
      `last window start ${Math.max(...starts)}`,
    );
    for (const w of windows) {
      const start = w.atMs - 975 - t0;
      assert.equal(w.inEpisode, start >= 0 && start <= 8000, `window at ${start}`);
      assert.equal(w.embedding.data.length, 1024);
    }
    const bytes = db.prepare("SELECT avg(length(embedding)) AS b FROM learning_windows").get() as {
      b: number;
    };
    assert.equal(bytes.b, 1024);
    await sink.stop();
  });

  it("records a label, refuses unknown and expired ids, and never overwrites an earlier label", async () => {
    const t0 = Date.now() - 60_000;
    const { db } = await daemonDatabase(t0);
    const store = new LearningStore(db);
    const o = { source: "test", retentionDays: 90 };
    assert.deepEqual(applyFeedback(store, { episodeId: "nope", label: "not_cry" }, o), {
      ok: false,
      warning: 'unknown episode id "nope" (`babymon history` lists the ids)',
    });
    assert.equal(store.feedback().length, 0);
    const r = applyFeedback(store, { episodeId: "last", label: "not_cry" }, o);
    assert.deepEqual(r, { ok: true, episodeId: "ep1", label: "not_cry", unchanged: false });
    assert.equal(applyFeedback(store, { episodeId: "ep1", label: "not_cry" }, o).ok, true);
    assert.equal(store.feedback().length, 1, "the same label again is not written twice");
    applyFeedback(store, { episodeId: "ep1", label: "tired" }, o);
    assert.deepEqual(
      store.feedback().map((f) => f.label),
      ["not_cry", "tired"],
    );
    assert.equal(store.latestLabels().get("ep1"), "tired");
    const expired = applyFeedback(
      store,
      { episodeId: "ep1", label: "hungry" },
      { ...o, now: t0 + 91 * 86_400_000 },
    );
    assert.equal(expired.ok, false);
    assert.match(!expired.ok ? expired.warning : "", /expired/);
    store.forget("ep1");
    assert.equal(
      applyFeedback(store, { episodeId: "ep1", label: "hungry" }, o).ok,
      false,
      "forgotten: expired",
    );
  });

  it("parses set/feedback payloads and names what is wrong", () => {
    assert.deepEqual(parseFeedbackPayload('{"episode_id":"a","label":"tired"}'), {
      episodeId: "a",
      label: "tired",
    });
    assert.deepEqual(parseFeedbackPayload('{"label":"not_cry"}'), { episodeId: "last", label: "not_cry" });
    const bad: Array<[string | Buffer, RegExp]> = [
      ["garbage{", /not JSON/],
      ["[1,2]", /expected a JSON object/],
      ["null", /expected a JSON object/],
      ['{"episode_id":"a","label":"cold"}', /expected `label` to be one of hungry, belly_pain/],
      ['{"episode_id":5,"label":"tired"}', /episode_id/],
      [Buffer.alloc(1024 * 1024, 0x7b), /1048576 bytes/],
    ];
    for (const [payload, message] of bad) {
      const r = parseFeedbackPayload(payload);
      assert.ok("invalid" in r, String(payload).slice(0, 20));
      assert.match(r.invalid, message);
    }
  });

  it("a flood of bad and good messages never throws, keeps earlier labels and is rate limited", async () => {
    const t0 = Date.now() - 60_000;
    const { db } = await daemonDatabase(t0);
    const store = new LearningStore(db);
    let now = 1_000_000;
    const handle = feedbackCommandHandler(store, { log: logger, retentionDays: 90, now: () => now });
    assert.equal(handle(Buffer.from('{"episode_id":"ep1","label":"hungry"}')), "applied");
    now += 1000;
    const results = { applied: 0, invalid: 0 };
    for (let i = 0; i < 1000; i++) {
      const payloads = [
        "x",
        '{"episode_id":"zz","label":"tired"}',
        '{"label":"nope"}',
        '{"episode_id":"ep1","label":"tired"}',
      ];
      results[handle(Buffer.from(payloads[i % 4]))]++;
    }
    // within the 20 a second: 5 good ones (the first recorded, 4 repeats unchanged), 15 bad; the rest over the limit
    assert.deepEqual(results, { applied: 5, invalid: 995 });
    assert.deepEqual(
      store.feedback().map((f) => f.label),
      ["hungry", "tired"],
    );
    assert.ok(MAX_FEEDBACK_PER_SEC < 1000);
  });

  it("the running daemon's veto picks up a label written by another connection (the CLI) on its next look", async () => {
    const t0 = Date.now() - 60_000;
    const { db, sink } = await daemonDatabase(t0, embedding(100));
    const path = db.name;
    assert.equal(sink.vetoes(embedding(100, 0.1, 7)), false);
    const cli = openDatabase(path);
    applyFeedback(
      new LearningStore(cli),
      { episodeId: "ep1", label: "not_cry" },
      { source: "cli", retentionDays: 90 },
    );
    cli.close();
    sink.refresh();
    assert.equal(sink.vetoes(embedding(100, 0.1, 7)), true, "the same sound");
    assert.equal(sink.vetoes(embedding(600, 0.1, 7)), false, "another sound");
    new LearningStore(db).forget(null);
    sink.refresh();
    assert.equal(sink.vetoes(embedding(100, 0.1, 7)), false, "forgotten");
    await sink.stop();
  });
});
