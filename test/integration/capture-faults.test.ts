import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { findTool, toolOrSkip } from "../support/tools.js";
import {
  alsaFifoDevice,
  Daemon,
  FifoFeeder,
  isolatedEnv,
  type LogLine,
  mqttDaemonEnv,
} from "./daemon-support.js";
import { MOSQUITTO, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";

/**
 * A microphone that never opens, with the real arecord: a wrong `audio.device`, and no arecord on PATH (until it
 * is put there). Each failed attempt is logged with arecord's own words and the retry delay, from the very first
 * one; the capture fault reaches health (SQLite, MQTT); the daemon keeps running and retrying with backoff.
 */
const work = mkdtempSync(join(tmpdir(), "babymon-capture-faults-"));
after(() => rmSync(work, { recursive: true, force: true }));

const isCapture = (l: LogLine) => l.msg === "capture";
const isOffline = (l: LogLine) => isCapture(l) && l.status === "offline";

function healthRows(path: string): Array<{ faults: string[]; faultDetails?: Record<string, string> }> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare("SELECT data FROM health WHERE kind = 'health' ORDER BY id").all() as Array<{ data: string }>
    ).map((r) => JSON.parse(r.data));
  } finally {
    db.close();
  }
}

describe("capture that cannot open", { timeout: 120_000 }, () => {
  test("a wrong audio.device: every attempt logged with arecord's message and a growing retry delay; the capture fault on MQTT's health topic; still running", async (t) => {
    if (toolOrSkip(t, "arecord", MOSQUITTO)) return;
    const broker = new MosquittoBroker();
    await broker.start();
    const sub = new RecordingSubscriber(broker.url, ["babymon/nursery/health"]);
    await sub.start();
    const daemon = new Daemon(
      ["run"],
      mqttDaemonEnv(join(work, "wrong-device"), broker.url, {
        BABYMON_AUDIO__DEVICE: "babymon_no_such_device",
        BABYMON_AUDIO__RESTART_MIN_SEC: "0.2",
        BABYMON_AUDIO__RESTART_MAX_SEC: "0.8",
      }),
    );
    try {
      await daemon.waitFor(isOffline, 60_000, 5, "five failed attempts");
      const attempts = daemon.lines.filter(isCapture);
      assert.ok(
        attempts.every((l) => l.status === "offline"),
        "never online",
      );
      for (const [i, delay] of ["0.2", "0.4", "0.8", "0.8", "0.8"].entries()) {
        assert.match(
          String(attempts[i].detail),
          new RegExp(
            `^arecord on \`audio.device\` "babymon_no_such_device" exited with code 1: .*Unknown PCM babymon_no_such_device; arecord: .*audio open error: No such file or directory \\(\`babymon devices\` lists the capture devices\\); retrying in ${delay} s$`,
          ),
        );
        assert.equal(attempts[i].level, 40, "a warning");
      }
      const times = attempts.slice(0, 5).map((l) => l.time as number);
      const gaps = times.slice(1).map((at, i) => at - times[i]);
      assert.ok(gaps[0] >= 150 && gaps[2] >= 650 && gaps[2] > gaps[0], `backoff: ${gaps} ms`);
      assert.ok(daemon.lines.findIndex((l) => l.msg === "listening") < daemon.lines.indexOf(attempts[0]));

      await sub.waitFor(
        (m) => m.some((x) => (JSON.parse(x.payload) as { faults: string[] }).faults.includes("capture")),
        15_000,
        "the capture fault on the health topic",
      );
      const health = sub.messages
        .map((m) => JSON.parse(m.payload) as { faults: string[]; fault_details: Record<string, string> })
        .find((h) => h.faults.includes("capture"))!;
      assert.match(health.fault_details.capture, /audio open error/);
      assert.equal(daemon.child.exitCode, null, "still running");
      daemon.child.kill("SIGTERM");
      assert.equal((await daemon.exited).code, 0);
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
      await sub.stop();
      await broker.stop();
    }
  });

  test("no arecord on PATH: said at once with the PATH searched, retried; once arecord is there, capture comes online and the fault clears", async (t) => {
    if (toolOrSkip(t, "arecord", "mkfifo")) return;
    const bin = join(work, "bin");
    mkdirSync(bin);
    const { fifo, asoundrc } = alsaFifoDevice(work);
    const data = join(work, "no-arecord");
    const feeder = new FifoFeeder(fifo);
    const daemon = new Daemon(["run"], {
      ...isolatedEnv({}),
      PATH: bin,
      ALSA_CONFIG_PATH: asoundrc,
      BABYMON_DATA_DIR: data,
      BABYMON_AUDIO__DEVICE: "babymon_test",
      BABYMON_AUDIO__RESTART_MIN_SEC: "0.5",
      BABYMON_AUDIO__RESTART_MAX_SEC: "1",
      BABYMON_LOGGING__HEALTH_EVERY_SEC: "1",
    });
    try {
      const first = await daemon.waitFor(isOffline, 60_000, 1, "the first failed attempt");
      assert.equal(
        first.detail,
        `Expected arecord on PATH to capture from \`audio.device\` "babymon_test", found none (PATH=${bin}); install alsa-utils; retrying in 0.5 s`,
      );
      await daemon.waitFor(isOffline, 10_000, 3, "retries");
      const db = join(data, "babymon.db");
      const deadline = Date.now() + 10_000;
      while (!healthRows(db).some((h) => h.faults.includes("capture")) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      const faulty = healthRows(db).find((h) => h.faults.includes("capture"));
      assert.ok(faulty, "the capture fault in a health snapshot");
      assert.match(faulty.faultDetails?.capture ?? "", /Expected arecord on PATH/);

      symlinkSync(findTool("arecord")!, join(bin, "arecord"));
      await daemon.waitFor((l) => isCapture(l) && l.status === "online", 20_000, 1, "capture online");
      const rowsBefore = healthRows(db).length;
      const clearDeadline = Date.now() + 10_000;
      while (healthRows(db).length <= rowsBefore && Date.now() < clearDeadline)
        await new Promise((r) => setTimeout(r, 200));
      const latest = healthRows(db).at(-1)!;
      assert.deepEqual(latest.faults, [], JSON.stringify(latest));
      daemon.child.kill("SIGTERM");
      assert.equal((await daemon.exited).code, 0);
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
      await feeder.stop();
    }
  });
});
