import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { brokerCredentialsPath, readBrokerCredentials } from "../../src/sinks/mqtt/broker-credentials.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";
import { checkDiscoveryMessage } from "../support/ha-discovery-rules.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import { freePort, MOSQUITTO, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";

/**
 * `babymon run --input` end to end with real parts: real YAMNet (models/ from `npm run models`), a real
 * Mosquitto, the real SQLite file; the GPIO pins are simulated (`gpio.driver: simulated`). The daemon hears
 * none of the caller's BABYMON_… variables, only the config file the test writes.
 */
const CRY_SOURCE = join(PROJECT_ROOT, "..", "shared", "examples", "baby_5000ms.wav");
const work = mkdtempSync(join(tmpdir(), "babymon-daemon-"));
const CRY = join(work, "cry.wav"); // 1.5 s silence, the 5 s cry, 9 s silence
const QUIET = join(work, "quiet.wav"); // 40 s of silence: keeps a daemon running without episodes

const T = "babymon/nursery";

class Daemon {
  readonly logs: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = "";

  constructor(configFile: string, input: string, fast: boolean, env: NodeJS.ProcessEnv = {}) {
    const args = ["--import", "tsx", join(PROJECT_ROOT, "src/cli/main.ts"), "run", "--config", configFile];
    args.push("--input", input, ...(fast ? ["--fast"] : []));
    this.child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: envWithoutBabymon({ NOTIFY_SOCKET: "", ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffer = "";
    this.child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line));
        } catch {
          // not a log line
        }
      }
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  async waitLog(predicate: (l: Daemon["logs"][number]) => boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (!this.logs.some(predicate)) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for the daemon to log ${what}; ${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The daemon's last log lines and stderr, for a failed assertion's message. */
  tail(n = 30): string {
    const lines = this.logs.slice(-n).map((l) => `${l.level} ${l.msg}`);
    return `last log lines:\n  ${lines.join("\n  ")}\nstderr: ${this.stderr.slice(-2000)}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

function writeConfig(dir: string, mqtt: Record<string, unknown>, extra = ""): string {
  const file = join(dir, "babymon.yaml");
  const lines = [
    `dataDir: ${dir}/data`,
    "gpio:",
    "  driver: simulated",
    // a port of its own: a daemon another test left on 8780 would fail this one's page and log an error
    "web:",
    "  port: 0",
    "mqtt:",
    "  deviceId: nursery",
    "  reconnectSec: 0.5",
    ...Object.entries(mqtt).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    extra,
  ];
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}

/**
 * Waits until the daemon's outbox is empty: the broker acknowledged every episode message sent so far. A test that
 * stops the broker right after a subscriber saw a message must wait for this, or the PUBACK may still be on its way
 * and QoS 1's at-least-once redelivery sends that message again (correct, but not "once").
 */
async function outboxAcknowledged(dir: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const db = new Database(join(dir, "data", "babymon.db"), { readonly: true, fileMustExist: true });
    const { n } = db.prepare("SELECT COUNT(*) AS n FROM mqtt_outbox").get() as { n: number };
    db.close();
    if (n === 0) return;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms: ${n} message(s) still in the outbox`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ids = (sub: RecordingSubscriber) =>
  sub.on(`${T}/event`).map((m) => JSON.parse(m.payload) as { id: string; type: string; episode_id: string });

function assertOnceInOrder(sub: RecordingSubscriber): void {
  const events = ids(sub);
  const seen = new Set(events.map((e) => e.id));
  assert.equal(seen.size, events.length, `duplicates in ${events.map((e) => e.id)}`);
  const order = { start: 0, update: 1, end: 2 };
  for (const episode of new Set(events.map((e) => e.episode_id))) {
    const types = events
      .filter((e) => e.episode_id === episode)
      .map((e) => order[e.type as keyof typeof order]);
    assert.deepEqual(types, [...types].sort(), `order of ${episode}`);
    assert.equal(types[0], 0, "starts with start");
    assert.equal(types.at(-1), 2, "ends with end");
  }
}

const TOOLS = [MOSQUITTO, "mosquitto_passwd", "ffmpeg"];
describe("babymon run with MQTT against a real Mosquitto", {
  timeout: 180_000,
  skip: skipWithoutTools(...TOOLS),
}, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  // a test that fails leaves no daemon running into the next one
  const daemons: Daemon[] = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop("SIGKILL");
  });
  before(() => {
    requireTools(...TOOLS);
    execFileSync(
      "ffmpeg",
      ["-loglevel", "error", "-y", "-i", CRY_SOURCE, "-af", "adelay=1500:all=1,apad=pad_dur=9"].concat([
        "-ar",
        "16000",
        "-ac",
        "1",
        "-c:a",
        "pcm_s16le",
        CRY,
      ]),
    );
    execFileSync(
      "ffmpeg",
      ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "40"].concat([
        "-c:a",
        "pcm_s16le",
        QUIET,
      ]),
    );
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  async function setup(users: Record<string, string> | null = null, subOptions = {}) {
    const broker = new MosquittoBroker(users);
    await broker.start();
    cleanups.push(() => broker.stop());
    const sub = new RecordingSubscriber(broker.url, [`${T}/#`, "homeassistant/#"], subOptions);
    await sub.start();
    cleanups.push(() => sub.stop());
    const dir = mkdtempSync(join(work, "d-"));
    return { broker, sub, dir };
  }

  function start(config: string, input: string, fast: boolean, env: NodeJS.ProcessEnv = {}) {
    const d = new Daemon(config, input, fast, env);
    daemons.push(d);
    return d;
  }

  test("a cry replayed through `run --input`: discovery, online, crying ON then OFF, start and end events, SQLite row", async () => {
    const { broker, sub, dir } = await setup();
    const daemon = start(writeConfig(dir, { url: broker.url }), CRY, true);
    assert.equal(await daemon.exited, 0, daemon.stderr);
    await sub.waitFor(
      (m) => m.some((x) => x.topic === `${T}/availability` && x.payload === "offline"),
      5000,
      "offline",
    );

    const configs = sub.messages.filter(
      (m) => m.topic.startsWith("homeassistant/") && m.topic.endsWith("/config"),
    );
    assert.deepEqual([...new Set(configs.map((m) => m.topic))], ["homeassistant/device/nursery/config"]);
    // what the real daemon announced passes HA's own discovery rules (test/support/ha-discovery-rules.ts)
    for (const m of configs) assert.deepEqual(checkDiscoveryMessage("homeassistant", m.topic, m.payload), []);
    // the crying entities were available while the file was being listened to, and unavailable after
    assert.deepEqual(
      sub
        .on(`${T}/capture/availability`)
        .map((m) => m.payload)
        .filter((p, i, all) => p !== all[i - 1]),
      ["offline", "online", "offline"],
    );
    // retained: a subscriber arriving later (Home Assistant starting) still gets every config and the state
    const late = new RecordingSubscriber(broker.url, ["homeassistant/#", `${T}/state`]);
    await late.start();
    cleanups.push(() => late.stop());
    await late.waitFor((m) => m.length >= 2, 3000, "retained discovery and state");
    assert.ok(late.messages.every((m) => m.retain));
    assert.equal(JSON.parse(late.on(`${T}/state`)[0]!.payload).crying, false);
    const availability = sub.on(`${T}/availability`).map((m) => m.payload);
    assert.deepEqual(availability, ["online", "offline"]);
    const crying = sub.on(`${T}/state`).map((m) => JSON.parse(m.payload).crying as boolean);
    const on = crying.indexOf(true);
    assert.ok(on >= 0 && crying.indexOf(false, on) > on, `crying ON then OFF: ${crying}`);

    const events = ids(sub);
    assert.deepEqual(
      events.filter((e) => e.type !== "update").map((e) => e.type),
      ["start", "end"],
    );
    assertOnceInOrder(sub);
    const end = JSON.parse(sub.on(`${T}/event`).at(-1)!.payload);
    for (const key of [
      "id",
      "episode_id",
      "start",
      "end",
      "duration_sec",
      "reason",
      "probabilities",
      "confidence",
    ]) {
      assert.ok(key in end, `event has ${key}`);
    }
    assert.ok(end.duration_sec > 2 && end.duration_sec < 15, `duration ${end.duration_sec}`);
    assert.equal(sub.on(`${T}/cry`).length, 1);
    assert.ok(!daemon.logs.some((l) => l.msg.includes("embedded broker")), "a configured broker wins");

    const db = new Database(join(dir, "data", "babymon.db"), { readonly: true });
    const rows = db.prepare("SELECT id, status FROM episodes").all() as Array<{ id: string; status: string }>;
    assert.deepEqual(rows, [{ id: end.episode_id, status: "closed" }]);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM mqtt_outbox").get() as { n: number }).n, 0);
    db.close();
  });

  test("broker stopped mid-episode and back a few seconds later: every event once, in order", async () => {
    const { broker, sub, dir } = await setup(null, { clientId: "sub-mid-episode" });
    const daemon = start(writeConfig(dir, { url: broker.url }), CRY, false);
    await sub.waitFor((m) => m.some((x) => x.topic === `${T}/event`), 15_000, "the start event");
    await outboxAcknowledged(dir);
    await broker.stop();
    await new Promise((r) => setTimeout(r, 5000));
    await broker.start();
    assert.equal(await daemon.exited, 0);
    await sub.waitFor((m) => m.some((x) => x.topic === `${T}/cry`), 8000, "the cry event after the outage");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(daemon.logs.some((l) => l.msg.includes("disconnected from the broker")));
    const reconnect = daemon.logs.filter((l) => l.msg === "MQTT: connected")[1];
    assert.ok(
      reconnect && (reconnect.pending as number) >= 1,
      "messages waited in the outbox during the outage",
    );
    assertOnceInOrder(sub);
    assert.equal(new Set(ids(sub).map((e) => e.episode_id)).size, 1);
  });

  test("daemon restarted while the broker is away: the outbox delivers once, in order", async () => {
    const { broker, sub, dir } = await setup(null, { clientId: "sub-restart" });
    const config = writeConfig(dir, { url: broker.url });
    const first = start(config, CRY, false);
    await sub.waitFor((m) => m.some((x) => x.topic === `${T}/event`), 15_000, "the start event");
    await outboxAcknowledged(dir);
    await broker.stop();
    // SIGTERM mid-episode: the open episode is closed and its end waits in the outbox
    assert.equal(await first.stop("SIGTERM"), 0);
    const second = start(config, QUIET, false);
    await second.waitLog((l) => l.msg === "running", 15_000, "running");
    await broker.start();
    await sub.waitFor((m) => m.some((x) => x.topic === `${T}/cry`), 10_000, "the end after the restart");
    await new Promise((r) => setTimeout(r, 300));
    assertOnceInOrder(sub);
    assert.ok(second.logs.some((l) => l.msg === "MQTT: connected" && (l.pending as number) >= 2));
    await second.stop();
  });

  test("HA status re-publishes discovery; malformed commands change nothing; detection OFF stops episodes across a restart", async () => {
    const { broker, sub, dir } = await setup();
    const config = writeConfig(dir, { url: broker.url });
    const first = start(config, QUIET, false);
    await sub.waitFor(
      (m) =>
        m.some((x) => x.topic === `${T}/availability` && x.payload === "online") &&
        m.some((x) => x.topic === `${T}/state`),
      15_000,
      "online and the state",
    );
    const lastState = () => JSON.parse(sub.on(`${T}/state`).at(-1)!.payload);
    assert.equal(lastState().detection_enabled, true);

    const seen = sub.messages.length;
    sub.client!.publish("homeassistant/status", "online", { qos: 1 });
    await sub.waitFor(
      (m) => m.slice(seen).some((x) => x.topic === "homeassistant/device/nursery/config"),
      5000,
      "discovery again",
    );

    for (const bad of ["", "enable", '{"state":"OFF"}', "0ff"]) {
      sub.client!.publish(`${T}/set/detection`, bad, { qos: 1 });
    }
    sub.client!.publish(`${T}/set/sensitivity`, "eleven", { qos: 1 });
    await first.waitLog((l) => l.msg.includes("set/sensitivity"), 5000, "the malformed sensitivity");
    assert.equal(
      first.logs.filter((l) => l.msg.startsWith("MQTT: ignored a malformed command")).length,
      5,
      first.tail(),
    );
    assert.ok(first.running, `still running; ${first.tail()}`);
    assert.equal(lastState().detection_enabled, true);
    assert.equal(lastState().sensitivity, 0.5);

    sub.client!.publish(`${T}/set/detection`, "OFF", { qos: 1 });
    await sub.waitFor(() => lastState().detection_enabled === false, 5000, "detection off in the state");
    assert.equal(await first.stop(), 0, first.tail());

    const second = start(config, CRY, true);
    assert.equal(await second.exited, 0, second.tail());
    assert.equal(lastState().detection_enabled, false, "the switch survived the restart");
    assert.equal(ids(sub).length, 0, "no episode while detection is off");
    const db = new Database(join(dir, "data", "babymon.db"), { readonly: true });
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM episodes").get() as { n: number }).n, 0);
    db.close();
  });

  test("username/password: right password connects; a wrong one is a clear error and the daemon keeps retrying", async () => {
    const { broker, dir } = await setup(
      { babymon: "correct horse" },
      { username: "babymon", password: "correct horse" },
    );
    const passwordFile = join(dir, "mqtt-password");
    writeFileSync(passwordFile, "correct horse\n", { mode: 0o600 });
    const good = start(
      writeConfig(dir, { url: broker.url, username: "babymon", passwordFile }),
      QUIET,
      false,
    );
    await good.waitLog((l) => l.msg === "MQTT: connected", 15_000, "connected");
    await good.stop();

    const badDir = mkdtempSync(join(work, "bad-"));
    const bad = start(writeConfig(badDir, { url: broker.url, username: "babymon" }), QUIET, false, {
      BABYMON_MQTT__PASSWORD: "battery staple",
    });
    await bad.waitLog(
      (l) => l.level === 50 && l.msg.includes("refused the connection"),
      15_000,
      "the refusal",
    );
    const error = bad.logs.find((l) => l.level === 50 && l.msg.includes("refused the connection"))!;
    assert.match(error.msg, /bad user name or password|not authorised/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(bad.running, `the daemon keeps running; ${bad.tail()}`);
    assert.ok(!bad.logs.some((l) => l.msg === "MQTT: connected"));
    assert.equal(await bad.stop(), 0, bad.tail());
  });

  test("SIGKILL: the broker publishes the last will, availability offline", async () => {
    const { broker, sub, dir } = await setup();
    const daemon = start(writeConfig(dir, { url: broker.url }), QUIET, false);
    await sub.waitFor(
      (m) => m.some((x) => x.topic === `${T}/availability` && x.payload === "online"),
      15_000,
      "online",
    );
    daemon.child.kill("SIGKILL");
    await daemon.exited;
    await sub.waitFor(() => sub.on(`${T}/availability`).at(-1)?.payload === "offline", 5000, "the last will");
    assert.deepEqual(
      sub.on(`${T}/availability`).map((m) => m.payload),
      ["online", "offline"],
    );
  });

  test("no broker configured: an embedded broker on 127.0.0.1 only, and a local subscriber sees the episode", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(work, "embedded-"));
    const daemon = start(writeConfig(dir, {}, `  embeddedBroker:\n    port: ${port}`), CRY, false);
    await daemon.waitLog((l) => l.msg.includes("started the embedded broker"), 15_000, "the embedded broker");
    // the login it generated in the data directory (anonymous clients are refused: embedded-broker-auth.test.ts)
    const login = readBrokerCredentials(brokerCredentialsPath(join(dir, "data")));
    const sub = new RecordingSubscriber(`mqtt://127.0.0.1:${port}`, [`${T}/#`, "homeassistant/#"], login);
    await sub.start();
    cleanups.push(() => sub.stop());
    await sub.waitFor(
      (m) => m.some((x) => x.topic === `${T}/cry`),
      20_000,
      "the episode through the embedded broker",
    );
    assert.deepEqual(
      ids(sub)
        .filter((e) => e.type !== "update")
        .map((e) => e.type),
      ["start", "end"],
    );
    assert.ok(
      sub.messages.some((m) => m.topic === "homeassistant/device/nursery/config"),
      "discovery too (retained)",
    );
    // bound to loopback only: the machine's other addresses refuse the connection
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal);
    if (external) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: external.address, port }, () => {
          socket.destroy();
          resolve(false);
        });
        socket.once("error", () => resolve(true));
      });
      assert.ok(refused, `${external.address}:${port} must not accept connections`);
    }
    assert.equal(await daemon.stop(), 0);
  });
});
