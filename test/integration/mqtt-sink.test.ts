import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type Database from "better-sqlite3";
import { PersistentDetectionControl } from "../../src/control/detection-control.js";
import type { BabymonEvent, EpisodeInfo } from "../../src/events.js";
import { mqttConfigSchema } from "../../src/sinks/mqtt/config.js";
import { MqttSink } from "../../src/sinks/mqtt/mqtt-sink.js";
import { MqttOutbox } from "../../src/sinks/mqtt/outbox.js";
import { openDatabase, SqliteSettingsStore } from "../../src/sinks/sqlite/database.js";
import { memoryLogger } from "../support/memory-logger.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import { MOSQUITTO, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";

const T0 = Date.UTC(2026, 0, 1, 2, 0, 0);

function episode(id: string, at: number): EpisodeInfo {
  return {
    id,
    startMs: at,
    startSec: (at - T0) / 1000,
    peak: 0.91,
    reason: "hungry",
    confidence: 0.72,
    probabilities: { hungry: 0.72, belly_pain: 0.1, burping: 0.05, discomfort: 0.08, tired: 0.05 },
    levelDbfs: -23.4,
    models: { yamnet: "469be6a3", heads: null },
  };
}

function episodeEvents(id: string, startMs: number): BabymonEvent[] {
  const ep = episode(id, startMs);
  return [
    { type: "episode_start", at: startMs, episode: { ...ep, reason: "unsure", confidence: 0 } },
    { type: "episode_update", at: startMs + 5000, episode: ep },
    {
      type: "episode_end",
      at: startMs + 12_000,
      episode: { ...ep, endMs: startMs + 12_000, endSec: ep.startSec + 12, durationSec: 12 },
    },
  ];
}

interface Daemonish {
  sink: MqttSink;
  db: Database.Database;
  control: PersistentDetectionControl;
  lines: Array<{ level: number; msg: string }>;
}

function makeSink(
  dbFile: string,
  url: string,
  extra: Record<string, unknown> = {},
  password?: string,
): Daemonish {
  const db = openDatabase(dbFile);
  const settings = new SqliteSettingsStore(db);
  const control = new PersistentDetectionControl(settings);
  const { log, lines } = memoryLogger("debug");
  const config = mqttConfigSchema.parse({ url, reconnectSec: 0.3, ...extra });
  const sink = new MqttSink({
    config,
    url,
    password,
    deviceId: "nursery",
    swVersion: "0.1.0-test",
    outbox: new MqttOutbox(db, config.outboxMaxRows),
    settings,
    control,
    log,
  });
  return { sink, db, control, lines };
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const eventIds = (sub: RecordingSubscriber) =>
  sub.on("babymon/nursery/event").map((m) => (JSON.parse(m.payload) as { id: string }).id);

const TOOLS = [MOSQUITTO, "mosquitto_passwd"];
describe("MQTT sink against a real Mosquitto", { timeout: 60_000, skip: skipWithoutTools(...TOOLS) }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  before(() => requireTools(...TOOLS));
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  test("discovery, availability, state, events, commands and homeassistant/status", async () => {
    const broker = new MosquittoBroker();
    await broker.start();
    cleanups.push(() => broker.stop());
    const sub = new RecordingSubscriber(broker.url, ["babymon/#", "homeassistant/#"]);
    await sub.start();
    cleanups.push(() => sub.stop());
    const dir = mkdtempSync(join(tmpdir(), "babymon-mqtt-"));
    // an entity an older version published: retained on the broker and remembered in the database
    const OLD = "homeassistant/sensor/nursery/old_entity/config";
    await sub.client!.publishAsync(OLD, JSON.stringify({ name: "old" }), { qos: 1, retain: true });
    const d = makeSink(join(dir, "babymon.db"), broker.url);
    new SqliteSettingsStore(d.db).set("mqtt.discovery.topics", JSON.stringify([OLD]));
    await d.sink.start();
    await until(() => d.sink.connected, 5000, "the sink to connect");
    await sub.waitFor(
      (m) => m.some((x) => x.topic === OLD && x.payload === ""),
      5000,
      "the old entity's removal",
    );

    await sub.waitFor((m) => m.some((x) => x.topic.endsWith("/uptime/config")), 5000, "discovery");
    const late = new RecordingSubscriber(broker.url, ["homeassistant/#"]);
    await late.start();
    await late.waitFor((m) => m.length >= 14, 3000, "retained discovery");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(late.messages.length, 14, "the old entity is gone from the broker");
    await late.stop();
    const configs = sub.messages.filter(
      (m) => m.topic.startsWith("homeassistant/") && m.topic.endsWith("/config") && m.payload !== "",
    );
    const byTopic = new Map(configs.map((m) => [m.topic, JSON.parse(m.payload) as Record<string, unknown>]));
    const crying = byTopic.get("homeassistant/binary_sensor/nursery/crying/config")!;
    assert.equal(crying.device_class, "sound");
    assert.deepEqual(crying.availability, [{ topic: "babymon/nursery/availability" }]);
    assert.equal((crying.device as { model: string }).model.includes("babymon"), true);
    assert.equal((crying.device as { sw_version: string }).sw_version, "0.1.0-test");
    assert.equal((crying.origin as { name: string }).name, "babymon");
    const cry = byTopic.get("homeassistant/event/nursery/cry/config")!;
    assert.deepEqual(cry.event_types, ["hungry", "belly_pain", "burping", "discomfort", "tired", "unsure"]);
    assert.equal(byTopic.get("homeassistant/sensor/nursery/cry_reason/config")!.device_class, "enum");
    assert.equal(byTopic.get("homeassistant/sensor/nursery/cry_confidence/config")!.unit_of_measurement, "%");
    const level = byTopic.get("homeassistant/sensor/nursery/sound_level/config")!;
    assert.equal(level.state_class, "measurement");
    assert.equal(level.unit_of_measurement, "dB");
    assert.ok(byTopic.has("homeassistant/switch/nursery/detection/config"));
    assert.ok(byTopic.has("homeassistant/number/nursery/sensitivity/config"));
    for (const diag of ["inference_ms", "dropped_windows", "capture_status", "uptime"]) {
      assert.equal(byTopic.get(`homeassistant/sensor/nursery/${diag}/config`)!.entity_category, "diagnostic");
    }
    await sub.waitFor(
      (m) => m.some((x) => x.topic.endsWith("/availability") && x.payload === "online"),
      2000,
      "online",
    );

    for (const event of episodeEvents("ep-1", T0)) await d.sink.handle(event);
    await sub.waitFor((m) => m.some((x) => x.topic === "babymon/nursery/cry"), 5000, "the cry event");
    assert.deepEqual(eventIds(sub), ["ep-1:start", "ep-1:update", "ep-1:end"]);
    const end = JSON.parse(sub.on("babymon/nursery/event")[2]!.payload);
    assert.equal(end.type, "end");
    assert.equal(end.reason, "hungry");
    assert.equal(end.duration_sec, 12);
    assert.equal(end.provisional, false);
    const cryMsg = JSON.parse(sub.on("babymon/nursery/cry")[0]!.payload);
    assert.equal(cryMsg.event_type, "hungry");
    const states = sub.on("babymon/nursery/state").map((m) => JSON.parse(m.payload).crying as boolean);
    assert.deepEqual(states.slice(-3), [true, true, false]);

    // malformed commands: logged, ignored, nothing changes
    const before = d.control.get();
    sub.client!.publish("babymon/nursery/set/detection", "MAYBE", { qos: 1 });
    sub.client!.publish("babymon/nursery/set/sensitivity", "loud", { qos: 1 });
    sub.client!.publish("babymon/nursery/set/sensitivity", "150", { qos: 1 });
    sub.client!.publish("babymon/nursery/set/detection", Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    await until(() => d.sink.stats.invalidCommands === 4, 3000, "4 malformed commands to be counted");
    assert.deepEqual(d.control.get(), before);
    assert.ok(d.lines.some((l) => l.level === 40 && l.msg.includes("Expected ON or OFF on set/detection")));

    // valid commands reach the control and the retained state
    sub.client!.publish("babymon/nursery/set/detection", "OFF", { qos: 1 });
    sub.client!.publish("babymon/nursery/set/sensitivity", "80", { qos: 1 });
    await until(() => d.control.get().sensitivity === 0.8, 3000, "the sensitivity command");
    assert.equal(d.control.get().enabled, false);
    await sub.waitFor(
      (m) =>
        m.some(
          (x) => x.topic === "babymon/nursery/state" && JSON.parse(x.payload).detection_enabled === false,
        ),
      2000,
      "state with detection off",
    );

    // Home Assistant restarts: discovery and state come again
    const seen = sub.messages.length;
    sub.client!.publish("homeassistant/status", "online", { qos: 1 });
    await sub.waitFor(
      (m) => m.slice(seen).some((x) => x.topic === "homeassistant/binary_sensor/nursery/crying/config"),
      3000,
      "discovery after homeassistant/status online",
    );
    await sub.waitFor(
      (m) => m.slice(seen).some((x) => x.topic === "babymon/nursery/state"),
      3000,
      "state after homeassistant/status online",
    );

    await d.sink.stop();
    d.db.close();
    // the switch survives a restart
    const again = new PersistentDetectionControl(
      new SqliteSettingsStore(openDatabase(join(dir, "babymon.db"))),
    );
    assert.deepEqual(again.get(), { enabled: false, sensitivity: 0.8 });
  });

  test("broker stopped mid-episode and restarted: every event once, in order", async () => {
    const broker = new MosquittoBroker();
    await broker.start();
    cleanups.push(() => broker.stop());
    const sub = new RecordingSubscriber(broker.url, ["babymon/nursery/event"], { clientId: "sub-outage" });
    await sub.start();
    cleanups.push(() => sub.stop());
    const d = makeSink(join(mkdtempSync(join(tmpdir(), "babymon-mqtt-")), "babymon.db"), broker.url);
    await d.sink.start();
    await until(() => d.sink.connected, 5000, "the sink to connect");
    const events = [...episodeEvents("ep-a", T0), ...episodeEvents("ep-b", T0 + 60_000)];
    await d.sink.handle(events[0]!);
    await sub.waitFor((m) => m.length === 1, 3000, "the first start");
    await broker.stop();
    for (const e of events.slice(1, 4)) await d.sink.handle(e);
    await new Promise((r) => setTimeout(r, 500));
    await broker.start();
    for (const e of events.slice(4)) await d.sink.handle(e);
    await sub.waitFor((m) => m.length >= 6, 10_000, "all six events");
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(eventIds(sub), [
      "ep-a:start",
      "ep-a:update",
      "ep-a:end",
      "ep-b:start",
      "ep-b:update",
      "ep-b:end",
    ]);
    await d.sink.stop();
    assert.equal(new MqttOutbox(d.db).size(), 0);
    d.db.close();
  });

  test("daemon restarted while the broker is away: the outbox delivers once, in order", async () => {
    const broker = new MosquittoBroker();
    await broker.start();
    cleanups.push(() => broker.stop());
    const sub = new RecordingSubscriber(broker.url, ["babymon/nursery/event"], { clientId: "sub-restart" });
    await sub.start();
    cleanups.push(() => sub.stop());
    const dbFile = join(mkdtempSync(join(tmpdir(), "babymon-mqtt-")), "babymon.db");
    const first = makeSink(dbFile, broker.url);
    await first.sink.start();
    await until(() => first.sink.connected, 5000, "the sink to connect");
    const events = episodeEvents("ep-r", T0);
    await first.sink.handle(events[0]!);
    await sub.waitFor((m) => m.length === 1, 3000, "the start");
    await broker.stop();
    await first.sink.handle(events[1]!);
    await first.sink.handle(events[2]!);
    await first.sink.stop();
    first.db.close();

    const second = makeSink(dbFile, broker.url);
    await second.sink.start();
    await broker.start();
    await sub.waitFor((m) => m.length >= 3, 10_000, "the update and the end");
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(eventIds(sub), ["ep-r:start", "ep-r:update", "ep-r:end"]);
    assert.equal(sub.on("babymon/nursery/event").length, 3);
    await second.sink.stop();
    second.db.close();
  });

  test("username/password works; a wrong password is a clear error and the sink keeps retrying", async () => {
    const broker = new MosquittoBroker({ babymon: "s3cret-pass" });
    await broker.start();
    cleanups.push(() => broker.stop());
    const dir = mkdtempSync(join(tmpdir(), "babymon-mqtt-"));
    const good = makeSink(join(dir, "good.db"), broker.url, { username: "babymon" }, "s3cret-pass");
    await good.sink.start();
    await until(() => good.sink.connected, 5000, "the sink to connect with the right password");
    await good.sink.stop();
    good.db.close();

    const bad = makeSink(join(dir, "bad.db"), broker.url, { username: "babymon" }, "wrong");
    await bad.sink.start();
    await until(() => bad.lines.some((l) => l.level === 50), 5000, "an error log");
    const error = bad.lines.find((l) => l.level === 50)!;
    assert.match(error.msg, /refused the connection: (bad user name or password|not authorised)/);
    assert.match(error.msg, /retrying/);
    // the daemon keeps running and retrying (every 0.3 s here), without flooding the log with the same error
    const attempts = bad.sink.stats.reconnects;
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(
      bad.sink.stats.reconnects >= attempts + 2,
      `reconnects ${attempts} → ${bad.sink.stats.reconnects}`,
    );
    assert.equal(bad.sink.stats.connects, 0);
    assert.equal(bad.sink.connected, false);
    assert.equal(bad.lines.filter((l) => l.level === 50).length, 1);
    await bad.sink.stop();
    bad.db.close();
  });
});
