import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import { encodeWav } from "../../src/audio/wav.js";
import { prerequisiteOrSkip, requireTools, skipWithoutTools } from "../support/tools.js";
import { CRY_CLIP, concat, Daemon, type LogLine, load16k, mqttDaemonEnv, quiet } from "./daemon-support.js";
import { MOSQUITTO, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";

/**
 * A full disk, for real: the data directory is a small tmpfs (mounted by the test, as root or through sudo -n), filled up
 * with a filler file. The daemon is the real one replaying a WAV in real time; the broker a real Mosquitto (its
 * own files outside the tmpfs). What must hold: every MQTT alert still arrives, the `disk` fault shows in the
 * health topic, the log says it once (not on every failed write), no unfinished clip stays behind.
 */
const T = "babymon/nursery";
const work = mkdtempSync(join(tmpdir(), "babymon-full-disk-"));
const mounts: string[] = [];

/** Runs a command as root: directly when we are root, else through passwordless sudo (a CI runner). */
function asRoot(args: string[]): ReturnType<typeof spawnSync> {
  const [command, ...rest] = process.getuid?.() === 0 ? args : ["sudo", "-n", ...args];
  return spawnSync(command as string, rest, { encoding: "utf8" });
}

/** Mounts a tmpfs of `size` at a new folder; null (with the reason in `problem`) when this machine will not. */
function mountTmpfs(size: string): { dir: string | null; problem: string | null } {
  const dir = join(work, `fs-${mounts.length}`);
  mkdirSync(dir);
  const uid = process.getuid?.() ?? 0;
  const r = asRoot([
    "mount",
    "-t",
    "tmpfs",
    "-o",
    `size=${size},uid=${uid},gid=${process.getgid?.() ?? 0}`,
    "tmpfs",
    dir,
  ]);
  if (r.status !== 0) {
    const how = uid === 0 ? "" : ` (uid ${uid}, through sudo -n)`;
    return { dir: null, problem: `mount -t tmpfs failed${how}: ${r.stderr || r.error?.message}` };
  }
  mounts.push(dir);
  return { dir, problem: null };
}

/** Writes a filler file until the file system says ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const block = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, "ENOSPC");
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

function daemonEnv(
  data: string,
  broker: MosquittoBroker,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return mqttDaemonEnv(data, broker.url, {
    BABYMON_DETECTION__HOLD_SEC: "1",
    BABYMON_DETECTION__COOLDOWN_SEC: "0.5",
    BABYMON_LOGGING__HEALTH_EVERY_SEC: "1",
    ...extra,
  });
}

interface EventPayload {
  type: string;
  episode_id: string;
}
const events = (sub: RecordingSubscriber) =>
  sub.on(`${T}/event`).map((m) => JSON.parse(m.payload) as EventPayload);
const healths = (sub: RecordingSubscriber) =>
  sub.on(`${T}/health`).map(
    (m) =>
      JSON.parse(m.payload) as {
        faults: string[];
        fault_details: Record<string, string>;
        sink_failures: Record<string, number>;
      },
  );
const ended = (sub: RecordingSubscriber) =>
  new Set(
    events(sub)
      .filter((e) => e.type === "end")
      .map((e) => e.episode_id),
  );

function linesMatching(daemon: Daemon, pattern: RegExp): LogLine[] {
  return daemon.lines.filter((l) => pattern.test(l.msg));
}

describe("a full disk (a real tmpfs) with a real Mosquitto", {
  timeout: 240_000,
  skip: skipWithoutTools(MOSQUITTO),
}, () => {
  let cry: Float32Array;
  let broker: MosquittoBroker;
  const cleanups: Array<() => Promise<unknown>> = [];
  before(async () => {
    requireTools(MOSQUITTO);
    cry = await load16k(CRY_CLIP);
    broker = new MosquittoBroker();
    await broker.start();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await broker?.stop();
    for (const dir of mounts) asRoot(["umount", dir]);
    rmSync(work, { recursive: true, force: true });
  });

  async function subscriber(): Promise<RecordingSubscriber> {
    const sub = new RecordingSubscriber(broker.url, [`${T}/#`]);
    await sub.start();
    cleanups.push(() => sub.stop());
    return sub;
  }

  function skipUnlessMounted(t: TestContext, size: string): string | null {
    const { dir, problem } = mountTmpfs(size);
    return prerequisiteOrSkip(t, problem) ? null : dir;
  }

  test("the disk fills while it runs: both cries still reach MQTT, the disk fault shows and clears, one log line per fault, no partial clip", async (t) => {
    const data = skipUnlessMounted(t, "2m");
    if (!data) return;
    const sub = await subscriber();
    const wav = join(work, "two-cries.wav");
    writeFileSync(wav, encodeWav(concat(quiet(12), cry, quiet(3), cry, quiet(8)), 16000));
    const daemon = new Daemon(
      ["run", "--input", wav],
      daemonEnv(data, broker, {
        BABYMON_STORAGE__CLIPS__ENABLED: "true",
        // a row per window: a failed write every 0.48 s while the disk is full
        BABYMON_STORAGE__WINDOW_LOG__ENABLED: "true",
        BABYMON_STORAGE__WINDOW_LOG__EVERY: "1",
      }),
    );
    cleanups.push(async () => daemon.child.exitCode === null && daemon.child.kill("SIGKILL"));
    await daemon.waitFor((l) => l.msg === "MQTT: connected", 60_000, 1, "MQTT connected");
    const filler = fill(data);

    await sub.waitFor(() => ended(sub).size >= 2, 60_000, "the end of both episodes on the broker");
    const failing = healths(sub).find((h) => h.faults.includes("disk"));
    assert.ok(failing, `the disk fault reached the health topic: ${JSON.stringify(healths(sub).at(-1))}`);
    assert.match(
      failing.fault_details.disk ?? "",
      new RegExp(`Cannot write ${data}/babymon.db: database or disk is full \\(SQLITE_FULL\\)`),
    );
    rmSync(filler);
    await daemon.waitFor(
      (l) => /can be written again after \d+ failed writes/.test(l.msg),
      10_000,
      1,
      "disk back",
    );
    const exit = await daemon.exited;
    assert.equal(exit.code, 0, daemon.stderr);

    // every alert went out: start and end of both episodes, crying on then off, HA's cry event twice
    const byEpisode = new Map<string, string[]>();
    for (const e of events(sub))
      byEpisode.set(e.episode_id, [...(byEpisode.get(e.episode_id) ?? []), e.type]);
    assert.equal(byEpisode.size, 2, JSON.stringify([...byEpisode]));
    for (const types of byEpisode.values()) {
      assert.equal(types[0], "start");
      assert.equal(types.at(-1), "end");
    }
    assert.equal(sub.on(`${T}/cry`).length, 2);
    const crying = sub.on(`${T}/state`).map((m) => (JSON.parse(m.payload) as { crying: boolean }).crying);
    assert.ok(
      crying.filter((c, i) => c && crying[i + 1] === false).length >= 2,
      `crying on/off twice: ${crying}`,
    );
    assert.ok(
      healths(sub).some((h, i) => i > healths(sub).indexOf(failing) && !h.faults.includes("disk")),
      "the disk fault cleared once the disk took writes again",
    );

    // said once, not on every failed write
    const failedWrites = Number(linesMatching(daemon, /can be written again after/)[0]?.failedWrites ?? 0);
    assert.ok(failedWrites >= 20, `many writes failed (${failedWrites})`);
    assert.equal(linesMatching(daemon, /^Cannot write .*babymon\.db: database or disk is full/).length, 1);
    assert.equal(
      linesMatching(daemon, /^MQTT outbox in memory \(at most 1000 messages, lost on restart\)/).length,
      1,
    );
    const sinkFailed = daemon.lines.filter((l) => l.msg === "sink failed");
    assert.ok(sinkFailed.length <= 3, `"sink failed" at most once per sink and error: ${sinkFailed.length}`);
    const errors = daemon.lines.filter((l) => (l.level as number) >= 50);
    assert.ok(
      errors.length <= 8,
      `${errors.length} error lines for ${failedWrites} failed writes:\n${errors.map((l) => l.msg).join("\n")}`,
    );

    // the clips that could not be written left nothing behind
    const clips = join(data, "clips");
    const leftovers = existsSync(clips)
      ? readdirSync(clips).filter((n) => n.endsWith(".part") || statSync(join(clips, n)).size <= 44)
      : [];
    assert.deepEqual(leftovers, []);
  });

  test("start-up on a full disk, without and with an existing database: a clear message naming it, and it still listens and publishes", async (t) => {
    const data = skipUnlessMounted(t, "320k");
    if (!data) return;
    const db = join(data, "babymon.db");
    const wav = join(work, "one-cry.wav");
    writeFileSync(wav, encodeWav(concat(quiet(2), cry, quiet(5)), 16000));
    const sub = await subscriber();

    const runOnFullDisk = async (cause: string) => {
      const seen = events(sub).length;
      const daemon = new Daemon(["run", "--input", wav], daemonEnv(data, broker));
      cleanups.push(async () => daemon.child.exitCode === null && daemon.child.kill("SIGKILL"));
      const exit = await daemon.exited;
      assert.equal(exit.code, 0, `${daemon.stderr}\n${daemon.tail(30)}`);
      const said = linesMatching(daemon, /^Cannot write the database /);
      assert.equal(said.length, 1, daemon.tail(30));
      assert.match(
        said[0].msg,
        new RegExp(
          `^Cannot write the database ${db}: ${cause}: the disk is full\\. babymon listens and alerts`,
        ),
      );
      assert.ok(daemon.lines.some((l) => l.msg === "listening"));
      const types = events(sub)
        .slice(seen)
        .map((e) => e.type);
      assert.equal(types[0], "start", JSON.stringify(types));
      assert.equal(types.at(-1), "end");
      assert.ok(
        healths(sub).some((h) => h.faults.includes("disk")),
        "the disk fault in health",
      );
    };

    // a first start (no database yet)
    const filler = fill(data);
    await runOnFullDisk("database or disk is full \\(SQLITE_FULL\\)");
    assert.ok(!existsSync(db), "no empty database file left behind");

    // the database exists (an earlier run), then the disk fills and the daemon restarts
    rmSync(filler);
    const quietWav = join(work, "quiet-1s.wav");
    writeFileSync(quietWav, encodeWav(quiet(1), 16000));
    const earlier = new Daemon(["run", "--input", quietWav], daemonEnv(data, broker));
    assert.equal((await earlier.exited).code, 0, earlier.tail(20));
    assert.ok(existsSync(db));
    fill(data);
    // SQLite cannot even grow the WAL index (-shm) it needs to read the file
    await runOnFullDisk("disk I/O error \\(SQLITE_IOERR_SHMSIZE\\)");
    assert.ok(existsSync(db), "the existing database is kept");
  });
});
