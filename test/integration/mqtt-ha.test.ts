import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { HealthState } from "../../src/control/health.js";
import type { HealthSnapshot } from "../../src/events.js";
import { ENTITIES } from "../../src/sinks/mqtt/entities.js";
import { SqliteSettingsStore } from "../../src/sinks/sqlite/database.js";
import { checkDiscoveryMessage } from "../support/ha-discovery-rules.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import { MOSQUITTO, MosquittoBroker, makeSink, RecordingSubscriber, until } from "./mqtt-support.js";

/**
 * Home Assistant's side of the MQTT sink against a real Mosquitto: the discovery migration, the birth topic with a
 * custom prefix, bursts of commands and of HA births (sent by mosquitto_pub, a separate process, so the sink's event
 * loop is measured alone), the problem sensor and the capture availability.
 */
const DEVICE = "homeassistant/device/nursery/config";
const T = "babymon/nursery";

function snapshot(extra: Partial<HealthSnapshot> = {}): HealthSnapshot {
  return {
    capture: "online",
    inferenceMsPerWindow: 20,
    droppedWindows: 0,
    processedWindows: 10,
    uptimeSec: 5,
    detectionEnabled: true,
    modelMissing: false,
    sinkFailures: {},
    faults: [],
    ...extra,
  };
}

/** `mosquitto_pub -l`: one QoS 1 message per line of `lines`, from its own process; resolves with the ms it took. */
function publishLines(url: string, topic: string, lines: string[]): Promise<number> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("mosquitto_pub", ["-h", hostname, "-p", port, "-t", topic, "-q", "1", "-l"], {
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve(Date.now() - started)
        : reject(new Error(`mosquitto_pub exited ${code}: ${stderr}`)),
    );
    child.stdin.end(`${lines.join("\n")}\n`);
  });
}

const TOOLS = [MOSQUITTO, "mosquitto_pub"];
describe("Home Assistant over a real Mosquitto", {
  timeout: 120_000,
  skip: skipWithoutTools(...TOOLS),
}, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  before(() => requireTools(...TOOLS));
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  async function setup(subTopics = ["babymon/#", "homeassistant/#"]) {
    const broker = new MosquittoBroker();
    await broker.start();
    cleanups.push(() => broker.stop());
    const sub = new RecordingSubscriber(broker.url, subTopics);
    await sub.start();
    cleanups.push(() => sub.stop());
    const dbFile = join(mkdtempSync(join(tmpdir(), "babymon-ha-")), "babymon.db");
    return { broker, sub, dbFile };
  }

  async function started(d: ReturnType<typeof makeSink>) {
    cleanups.push(async () => {
      await d.sink.stop();
      d.db.close();
    });
    await d.sink.start();
    await until(() => d.sink.connected, 5000, "the sink to connect");
    return d;
  }

  async function retained(url: string, topics: string[]): Promise<Map<string, string>> {
    const late = new RecordingSubscriber(url, topics);
    await late.start();
    await new Promise((r) => setTimeout(r, 400));
    await late.stop();
    return new Map(late.messages.filter((m) => m.retain).map((m) => [m.topic, m.payload]));
  }

  test("migration from per-entity to device discovery and back, in HA's documented order", async () => {
    const N = ENTITIES.length; // one per-entity config each (device triggers included)
    const { broker, sub, dbFile } = await setup(["homeassistant/#"]);
    // the previous version: per-entity topics, and an "uptime" entity this version no longer has
    const old = await started(makeSink(dbFile, broker.url, { discovery: { mode: "entity" } }));
    await sub.waitFor((m) => m.filter((x) => x.payload !== "").length >= N, 5000, "per-entity discovery");
    const UPTIME = "homeassistant/sensor/nursery/uptime/config";
    await sub.client!.publishAsync(UPTIME, JSON.stringify({ name: "Uptime" }), { qos: 1, retain: true });
    const store = new SqliteSettingsStore(old.db);
    const perEntity = JSON.parse(store.get("mqtt.discovery.topics")!) as string[];
    assert.equal(perEntity.length, N);
    store.set("mqtt.discovery.topics", JSON.stringify([...perEntity, UPTIME]));
    await old.sink.stop();
    old.db.close();
    cleanups.pop();

    const mark = sub.messages.length;
    const now = await started(makeSink(dbFile, broker.url));
    await sub.waitFor(
      (m) => m.slice(mark).filter((x) => x.payload === "").length === N + 1,
      5000,
      "the old topics cleared",
    );
    const seq = sub.messages.slice(mark);
    for (const m of seq)
      assert.deepEqual(checkDiscoveryMessage("homeassistant", m.topic, m.payload), [], m.topic);
    const deviceAt = seq.findIndex((m) => m.topic === DEVICE);
    assert.ok(deviceAt >= 0, "the device config was published");
    for (const topic of perEntity) {
      const migrateAt = seq.findIndex((m) => m.topic === topic && m.payload === '{"migrate_discovery":true}');
      const clearAt = seq.findIndex((m) => m.topic === topic && m.payload === "");
      assert.ok(
        migrateAt >= 0 && migrateAt < deviceAt && deviceAt < clearAt,
        `${topic}: migrate, device, clear`,
      );
    }
    assert.ok(
      !seq.some((m) => m.topic === UPTIME && m.payload.includes("migrate")),
      "uptime is removed, not migrated",
    );
    assert.ok(seq.some((m) => m.topic === UPTIME && m.payload === ""));
    assert.deepEqual([...(await retained(broker.url, ["homeassistant/#"])).keys()], [DEVICE]);
    assert.equal(now.sink.stats.discovery.migrated, N);

    // and back, for an older HA: the device topic is migrated, per-entity configs, then the device topic cleared
    await now.sink.stop();
    now.db.close();
    cleanups.pop();
    const back = sub.messages.length;
    await started(makeSink(dbFile, broker.url, { discovery: { mode: "entity" } }));
    await sub.waitFor(
      (m) => m.slice(back).some((x) => x.topic === DEVICE && x.payload === ""),
      5000,
      "rollback",
    );
    const seq2 = sub.messages.slice(back);
    assert.equal(seq2[0]!.topic, DEVICE);
    assert.equal(seq2[0]!.payload, '{"migrate_discovery":true}');
    assert.equal(seq2.filter((m) => m.topic !== DEVICE).length, N);
    assert.equal((await retained(broker.url, ["homeassistant/#"])).size, N);
  });

  test("HA's birth on homeassistant/status is heard with a custom discovery prefix", async () => {
    const { broker, sub, dbFile } = await setup(["hass/#"]);
    const d = await started(
      makeSink(dbFile, broker.url, { discovery: { prefix: "hass", republishDelaySec: 0.1 } }),
    );
    await sub.waitFor((m) => m.some((x) => x.topic === "hass/device/nursery/config"), 5000, "discovery");
    const mark = sub.messages.length;
    await sub.client!.publishAsync("homeassistant/status", "online", { qos: 1 });
    await sub.waitFor(
      (m) => m.slice(mark).some((x) => x.topic === "hass/device/nursery/config"),
      3000,
      "discovery again after HA's birth",
    );
    assert.equal(d.sink.stats.haOnline, 1);
    for (const m of sub.messages) assert.deepEqual(checkDiscoveryMessage("hass", m.topic, m.payload), []);
  });

  test("10,000 commands in a second: the last one sent is the setting, the daemon stays responsive", async () => {
    const { broker, sub, dbFile } = await setup([`${T}/state`]);
    const d = await started(makeSink(dbFile, broker.url));
    const values = Array.from({ length: 10_000 }, (_, i) => String((i * 7) % 101));
    values[values.length - 1] = "37";
    const toggles = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? "ON" : "OFF"));
    toggles[toggles.length - 1] = "OFF";
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const [ms, ms2] = await Promise.all([
      publishLines(broker.url, `${T}/set/sensitivity`, values),
      publishLines(broker.url, `${T}/set/detection`, toggles),
    ]);
    await until(
      () => d.sink.stats.commands.received === 20_000,
      20_000,
      `all 20,000 commands to arrive (got ${d.sink.stats.commands.received})`,
    );
    await new Promise((r) => setImmediate(r));
    delay.disable();
    const maxDelayMs = delay.max / 1e6;
    console.log(
      `# burst: 2 × 10,000 commands sent in ${ms} / ${ms2} ms; applied ${d.sink.stats.commands.applied}; ` +
        `event loop delay max ${maxDelayMs.toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    assert.deepEqual(d.control.get(), { enabled: false, sensitivity: 0.37 });
    assert.ok(d.sink.stats.commands.applied < 2_000, `coalesced: ${d.sink.stats.commands.applied} applied`);
    assert.ok(maxDelayMs < 500, `event loop blocked for ${maxDelayMs} ms`);
    await sub.waitFor(
      (m) => {
        const last = m.at(-1);
        return last !== undefined && JSON.parse(last.payload).sensitivity === 0.37;
      },
      5000,
      "the retained state to show the last command",
    );
    const state = JSON.parse((await retained(broker.url, [`${T}/state`])).get(`${T}/state`)!);
    assert.equal(state.sensitivity, 0.37);
    assert.equal(state.detection_enabled, false);
  });

  test("1,000 HA births: one re-publish of discovery, not 1,000 × every entity", async () => {
    const { broker, sub, dbFile } = await setup([DEVICE]);
    const d = await started(makeSink(dbFile, broker.url));
    await sub.waitFor((m) => m.length >= 1, 5000, "the first discovery");
    const mark = sub.messages.length;
    await publishLines(
      broker.url,
      "homeassistant/status",
      Array.from({ length: 1000 }, () => "online"),
    );
    await until(() => d.sink.stats.haOnline === 1000, 10_000, `1000 births (got ${d.sink.stats.haOnline})`);
    await new Promise((r) => setTimeout(r, 1500)); // past discovery.republishDelaySec (1 s)
    const resent = sub.messages.length - mark;
    console.log(`# 1000 births → ${resent} discovery re-send(s), ${d.sink.stats.republishes} re-publish(es)`);
    assert.ok(resent >= 1 && resent <= 2, `${resent} re-sends`);
    assert.ok(d.sink.stats.republishes <= 2);
  });

  test("problem sensor and capture availability follow capture, model and faults", async () => {
    const { broker, sub, dbFile } = await setup([`${T}/#`]);
    const health = new HealthState();
    const d = await started(makeSink(dbFile, broker.url, {}, undefined, { health }));
    const last = (topic: string) => sub.on(topic).at(-1)?.payload;
    const problem = () => JSON.parse(last(`${T}/health`) ?? "{}").problem as boolean | undefined;
    // before the daemon listens there is no capture: the crying entities are unavailable
    await sub.waitFor(
      () => last(`${T}/capture/availability`) === "offline",
      3000,
      "capture offline at start",
    );
    // health as the daemon publishes it → (capture availability, problem) as Home Assistant receives them
    const steps: Array<[Partial<HealthSnapshot>, "online" | "offline", boolean]> = [
      [{}, "online", false],
      [{ capture: "offline", faults: ["capture"] }, "offline", true],
      [{}, "online", false],
    ];
    for (const [health_, capture, isProblem] of steps) {
      health.publish(snapshot(health_));
      await sub.waitFor(
        () => last(`${T}/capture/availability`) === capture && problem() === isProblem,
        3000,
        `capture ${capture} and problem ${isProblem} after ${JSON.stringify(health_)}`,
      );
    }
    health.publish(snapshot({ faults: ["disk"] }));
    await sub.waitFor(() => problem() === true, 3000, "a disk fault is a problem");
    assert.deepEqual(JSON.parse(last(`${T}/health`)!).faults, ["disk"]);
    assert.equal(
      last(`${T}/capture/availability`),
      "online",
      "a disk fault does not silence the crying entities",
    );
    health.publish(snapshot({ modelMissing: true }));
    await sub.waitFor(
      () => JSON.parse(last(`${T}/health`)!).model_missing === true && problem() === true,
      3000,
      "model",
    );
    await d.sink.handle({
      type: "capture",
      at: Date.now(),
      status: "stalled",
      restarts: 1,
      detail: "no audio for 5 s",
    });
    await sub.waitFor(() => last(`${T}/capture/availability`) === "offline", 3000, "a stalled capture");
    await d.sink.stop();
    cleanups.pop();
    d.db.close();
    const kept = await retained(broker.url, [`${T}/#`]);
    assert.equal(kept.get(`${T}/availability`), "offline");
    assert.equal(kept.get(`${T}/capture/availability`), "offline");
  });
});
