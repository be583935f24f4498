import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { encodeWav } from "../../src/audio/wav.js";
import type { EpisodeRow } from "../../src/sinks/sqlite/database.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import { CRY_CLIP, concat, Daemon, load16k, mqttDaemonEnv, quiet } from "./daemon-support.js";
import { MOSQUITTO, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";

/**
 * `kill -9` during an episode: subscribers got its start; at the next start the daemon marks the row interrupted
 * and publishes the closing `end` (`"interrupted": true`). Real daemon, real Mosquitto, real SQLite file.
 */
const T = "babymon/nursery";
const work = mkdtempSync(join(tmpdir(), "babymon-kill9-"));

interface EventPayload {
  id: string;
  type: string;
  episode_id: string;
  start: string;
  end: string | null;
  duration_sec: number | null;
  interrupted?: boolean;
}

describe("an episode interrupted by kill -9", { timeout: 180_000, skip: skipWithoutTools(MOSQUITTO) }, () => {
  let broker: MosquittoBroker;
  let sub: RecordingSubscriber;
  before(async () => {
    requireTools(MOSQUITTO);
    broker = new MosquittoBroker();
    await broker.start();
    sub = new RecordingSubscriber(broker.url, [`${T}/#`]);
    await sub.start();
  });
  after(async () => {
    await sub?.stop();
    await broker?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("is closed at the next start: an end event with interrupted: true reaches the broker, the row says interrupted", async () => {
    const cry = await load16k(CRY_CLIP);
    const data = join(work, "data");
    const env = mqttDaemonEnv(data, broker.url);
    const crying = join(work, "cry-then-quiet.wav");
    writeFileSync(crying, encodeWav(concat(quiet(2), cry, quiet(30)), 16000));
    const events = () => sub.on(`${T}/event`).map((m) => JSON.parse(m.payload) as EventPayload);

    const first = new Daemon(["run", "--input", crying], env);
    try {
      await sub.waitFor(() => events().some((e) => e.type === "start"), 90_000, "the episode's start");
      first.child.kill("SIGKILL");
      assert.equal((await first.exited).signal, "SIGKILL");
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill("SIGKILL");
    }
    const started = events().find((e) => e.type === "start")!;
    assert.ok(!events().some((e) => e.type === "end"), "no end before the kill");

    const quietWav = join(work, "quiet.wav");
    writeFileSync(quietWav, encodeWav(quiet(3), 16000));
    const second = new Daemon(["run", "--input", quietWav], env);
    const exit = await second.exited;
    assert.equal(exit.code, 0, `${second.stderr}\n${second.tail(30)}`);
    await sub.waitFor(() => events().some((e) => e.type === "end"), 10_000, "the closing end event");

    const ends = events().filter((e) => e.type === "end");
    assert.equal(ends.length, 1, JSON.stringify(ends));
    const end = ends[0];
    assert.equal(end.episode_id, started.episode_id);
    assert.equal(end.id, `${started.episode_id}:end`);
    assert.equal(end.interrupted, true);
    assert.equal(end.start, started.start);
    assert.ok(end.end !== null && end.end >= end.start, JSON.stringify(end));
    assert.ok((end.duration_sec ?? -1) >= 0);
    const state = JSON.parse(sub.on(`${T}/state`).at(-1)!.payload) as { crying: boolean; episode_id: string };
    assert.equal(state.crying, false);
    assert.equal(state.episode_id, started.episode_id);
    assert.ok(second.lines.some((l) => /marked interrupted; publishing their end/.test(l.msg)));

    const db = new Database(join(data, "babymon.db"), { readonly: true });
    const row = db.prepare("SELECT * FROM episodes WHERE id = ?").get(started.episode_id) as EpisodeRow;
    db.close();
    assert.equal(row.status, "interrupted");
    assert.equal(row.end_ms, Date.parse(end.end!));
  });
});
