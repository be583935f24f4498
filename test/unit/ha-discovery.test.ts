import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

// biome-ignore lint/suspicious/noExplicitAny: discovery payloads are free-form JSON checked field by field
type Json = any;

import {
  PersistentDetectionControl,
  type SettingsStore,
  thresholdForSensitivity,
} from "../../src/control/detection-control.js";
import type { HealthSnapshot } from "../../src/events.js";
import { CommandApplier } from "../../src/sinks/mqtt/commands.js";
import { resolveDeviceId } from "../../src/sinks/mqtt/device-id.js";
import { buildDiscoveryMessages, type DiscoveryContext } from "../../src/sinks/mqtt/discovery.js";
import { discoveryPlan, MIGRATE_PAYLOAD } from "../../src/sinks/mqtt/discovery-plan.js";
import { ENTITIES } from "../../src/sinks/mqtt/entities.js";
import { episodeEventPayload, healthPayload, parseCommand } from "../../src/sinks/mqtt/payloads.js";
import { buildTopics, HA_BIRTH_TOPIC, sanitiseDeviceId } from "../../src/sinks/mqtt/topics.js";
import { checkComponent, checkDiscoveryMessage } from "../support/ha-discovery-rules.js";
import { memoryLogger } from "../support/memory-logger.js";

const topics = buildTopics("babymon", "nursery", "homeassistant");
const ctx = (mode: "device" | "entity", extra: Partial<DiscoveryContext> = {}): DiscoveryContext => ({
  deviceId: "nursery",
  deviceName: "Nursery",
  swVersion: "1.2.3",
  topics,
  mode,
  ...extra,
});
const [deviceMessage] = buildDiscoveryMessages(ctx("device"));
const device = deviceMessage!.payload as Record<string, Json>;
const cmps = device.cmps as Record<string, Json>;
const perEntity = buildDiscoveryMessages(ctx("entity"));

test("device ids are sanitised to a safe topic level", () => {
  assert.equal(sanitiseDeviceId("Baby-Pi.local"), "baby-pi_local");
  assert.equal(sanitiseDeviceId("  Kinderzimmer #2 "), "kinderzimmer_2");
  assert.equal(sanitiseDeviceId("+/#"), "babymon");
  assert.equal(sanitiseDeviceId("x".repeat(100)).length, 64);
});

test("default device id: host name + hash of the machine id, so two raspberrypi hosts stay two devices", () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-machine-id-"));
  const a = join(dir, "a");
  const b = join(dir, "b");
  writeFileSync(a, "0123456789abcdef0123456789abcdef\n");
  writeFileSync(b, "fedcba9876543210fedcba9876543210\n");
  const { log, lines } = memoryLogger("debug");
  const base = { previousTopics: [], log, host: "raspberrypi" };
  const idA = resolveDeviceId({ ...base, machineIdPath: a });
  const idB = resolveDeviceId({ ...base, machineIdPath: b });
  assert.match(idA, /^raspberrypi_[0-9a-f]{6}$/);
  assert.notEqual(idA, idB);
  assert.equal(resolveDeviceId({ ...base, machineIdPath: a }), idA, "stable across starts");
  assert.ok(!idA.includes("0123456789"), "the machine id itself is not exposed");
  assert.equal(lines.length, 0);
  assert.equal(resolveDeviceId({ ...base, configured: "Nursery 2", machineIdPath: a }), "nursery_2");

  // no machine id: the host name, and a loud error naming the file, the reason and what to do
  assert.equal(resolveDeviceId({ ...base, machineIdPath: join(dir, "missing") }), "raspberrypi");
  const error = lines.find((l) => l.level === 50)!;
  assert.match(error.msg, /could not read the machine id from .*missing \(ENOENT/);
  assert.match(error.msg, /merge into ONE Home Assistant device: set `mqtt.deviceId`/);
  writeFileSync(b, "not-an-id");
  resolveDeviceId({ ...base, machineIdPath: b });
  assert.match(lines.at(-1)!.msg, /expected 32 hex digits, got "not-an-id"/);

  // an install that announced itself under the bare host name keeps it (its entities and history), warned
  const legacy = ["homeassistant/sensor/raspberrypi/uptime/config"];
  assert.equal(resolveDeviceId({ ...base, previousTopics: legacy, machineIdPath: a }), "raspberrypi");
  assert.equal(lines.at(-1)!.level, 40);
  assert.match(lines.at(-1)!.msg, /keeping the device id "raspberrypi"/);
});

test("device-based discovery: one retained config with dev, o, cmps and shared availability", () => {
  assert.equal(buildDiscoveryMessages(ctx("device")).length, 1);
  assert.equal(deviceMessage!.topic, "homeassistant/device/nursery/config");
  assert.deepEqual(device.dev.identifiers, ["babymon_nursery"]);
  assert.equal(device.dev.sw_version, "1.2.3");
  assert.equal(device.o.name, "babymon");
  assert.deepEqual(device.availability, [{ topic: "babymon/nursery/availability" }]);
  assert.deepEqual(
    Object.keys(cmps),
    ENTITIES.map((e) => e.objectId),
  );
  for (const spec of ENTITIES) assert.equal(cmps[spec.objectId].p, spec.component);
  assert.equal(cmps.crying.unique_id, "babymon_nursery_crying", "the same unique_id as per-entity discovery");
});

test("per-entity discovery (old HA): one config per entity, each with device, origin and availability", () => {
  assert.equal(perEntity.length, ENTITIES.length);
  const ids = new Set<string>();
  for (const { topic, payload } of perEntity) {
    assert.match(topic, /^homeassistant\/[a-z_]+\/nursery\/[a-z_]+\/config$/);
    const p = payload as Record<string, Json>;
    assert.deepEqual(p.device.identifiers, ["babymon_nursery"]);
    assert.equal(p.origin.name, "babymon");
    if (p.automation_type) continue;
    assert.ok(!ids.has(p.unique_id), `duplicate unique_id ${p.unique_id}`);
    ids.add(p.unique_id);
    assert.ok(p.availability.some((a: Json) => a.topic === "babymon/nursery/availability"));
    assert.equal(p.qos, 1);
  }
});

test("every published discovery payload passes Home Assistant's own schema rules", () => {
  for (const mode of ["device", "entity"] as const) {
    for (const m of buildDiscoveryMessages(
      ctx(mode, { hwVersion: "Raspberry Pi 5", configurationUrl: "http://pi:8080/" }),
    )) {
      assert.deepEqual(
        checkDiscoveryMessage("homeassistant", m.topic, JSON.stringify(m.payload)),
        [],
        m.topic,
      );
    }
  }
  // a custom prefix
  const custom = buildTopics("babymon", "nursery", "ha/disc");
  for (const m of buildDiscoveryMessages({ ...ctx("device"), topics: custom }))
    assert.deepEqual(checkDiscoveryMessage("ha/disc", m.topic, JSON.stringify(m.payload)), []);
  for (const step of discoveryPlan(["homeassistant/sensor/nursery/uptime/config"], [deviceMessage!]))
    assert.deepEqual(checkDiscoveryMessage("homeassistant", step.topic, step.payload), [], step.topic);
});

test("the rules do catch what HA refuses (the check can fail)", () => {
  const dev = { identifiers: ["x"] };
  const sensor = (extra: Json) =>
    checkComponent("t", "sensor", { unique_id: "u", device: dev, state_topic: "s", ...extra });
  assert.match(
    sensor({ device_class: "sound_pressure", unit_of_measurement: "dBFS" }).join(),
    /not valid for device_class sound_pressure/,
  );
  assert.match(sensor({ device_class: "duration", unit_of_measurement: "sec" }).join(), /DEVICE_CLASS_UNITS/);
  assert.match(
    sensor({ device_class: "timestamp", state_class: "measurement" }).join(),
    /DEVICE_CLASS_STATE_CLASSES/,
  );
  assert.match(sensor({ device_class: "timestamp", unit_of_measurement: "s" }).join(), /non-numeric/);
  assert.match(
    sensor({ options: ["a"], state_class: "measurement", device_class: "enum" }).join(),
    /options not allowed/,
  );
  assert.match(sensor({ options: ["a"] }).join(), /need device_class enum/);
  assert.match(sensor({ unique_id: undefined }).join(), /unique_id is required/);
  assert.match(
    checkComponent("t", "binary_sensor", {
      unique_id: "u",
      device: dev,
      state_topic: "s",
      device_class: "crying",
    }).join(),
    /BinarySensorDeviceClass/,
  );
  assert.match(
    checkComponent("t", "device_automation", { device: dev, topic: "x" }).join(),
    /needs automation_type/,
  );
  assert.match(
    checkComponent("t", "sensor", { unique_id: "u", device: {}, state_topic: "s" }).join(),
    /identifiers or connections/,
  );
  assert.match(
    checkComponent("t", "sensor", {
      unique_id: "u",
      device: dev,
      state_topic: "s",
      availability_mode: "both",
    }).join(),
    /not in all\/any\/latest/,
  );
  assert.match(
    checkDiscoveryMessage("homeassistant", "homeassistant/sensor/nurs.ery/x/config", "{}").join(),
    /TOPIC_MATCHER/,
  );
  assert.match(
    checkDiscoveryMessage("homeassistant", "homeassistant/gadget/n/x/config", "{}").join(),
    /SUPPORTED_COMPONENTS/,
  );
  const noOrigin = JSON.stringify({ dev, cmps: { a: { p: "sensor", unique_id: "u", state_topic: "s" } } });
  assert.match(
    checkDiscoveryMessage("homeassistant", "homeassistant/device/n/config", noOrigin).join(),
    /origin.name is required/,
  );
  const badPlatform = JSON.stringify({ dev, o: { name: "x" }, cmps: { a: { p: "gadget", unique_id: "u" } } });
  assert.match(
    checkDiscoveryMessage("homeassistant", "homeassistant/device/n/config", badPlatform).join(),
    /platform "gadget"/,
  );
  assert.match(
    checkDiscoveryMessage("homeassistant", "homeassistant/device/n/config", '{"migrate_discovery":1}').join(),
    /MIGRATE_DISCOVERY_SCHEMA/,
  );
});

test("entities as HA users expect: dBFS level, Started, Last cry, attributes, chatty diagnostics off, triggers", () => {
  const level = cmps.sound_level;
  assert.equal(level.device_class, undefined, "dBFS is not sound pressure");
  assert.equal(level.unit_of_measurement, "dBFS");
  assert.equal(cmps.uptime, undefined, "no total_increasing uptime");
  assert.equal(cmps.started.device_class, "timestamp");
  assert.equal(cmps.started.state_class, undefined);
  assert.equal(cmps.last_cry.device_class, "timestamp");
  assert.equal(cmps.last_cry_duration.device_class, "duration");
  assert.equal(cmps.last_cry_duration.unit_of_measurement, "s");
  const attrs = cmps.crying.json_attributes_template as string;
  for (const field of [
    "reason",
    "confidence",
    "episode_id",
    "episode_start",
    "last_cry_end",
    "last_cry_duration_sec",
  ])
    assert.ok(attrs.includes(`value_json.${field}`), field);
  assert.ok(
    !attrs.includes("detection_enabled") && !attrs.includes("sensitivity"),
    "the episode fields, not the whole state",
  );
  assert.equal(cmps.inference_ms.enabled_by_default, false);
  assert.equal(cmps.dropped_windows.enabled_by_default, false);
  assert.equal(cmps.crying.enabled_by_default, undefined);
  assert.equal(cmps.problem.p, "binary_sensor");
  assert.equal(cmps.problem.device_class, "problem");
  assert.equal(cmps.problem.entity_category, "diagnostic");
  for (const [id, payload] of [
    ["cry_started", "start"],
    ["cry_ended", "end"],
  ] as const) {
    assert.equal(cmps[id].p, "device_automation");
    assert.equal(cmps[id].automation_type, "trigger");
    assert.equal(cmps[id].topic, "babymon/nursery/event");
    assert.equal(cmps[id].payload, payload);
  }
  // the crying entities need capture: unavailable while the microphone is down
  const both = [{ topic: "babymon/nursery/availability" }, { topic: "babymon/nursery/capture/availability" }];
  for (const id of ["crying", "cry", "cry_reason", "cry_confidence", "sound_level"]) {
    assert.deepEqual(cmps[id].availability, both, id);
    assert.equal(cmps[id].availability_mode, "all", id);
  }
  for (const id of ["detection", "sensitivity", "problem", "capture_status", "last_cry"])
    assert.equal(cmps[id].availability, undefined, `${id} inherits the daemon's availability`);
  // the local web page can add its link later
  assert.equal(device.dev.configuration_url, undefined);
  const withUrl = buildDiscoveryMessages(ctx("device", { configurationUrl: "http://pi.local:8080/" }))[0]!;
  assert.equal((withUrl.payload as Json).dev.configuration_url, "http://pi.local:8080/");
});

test("HA's birth topic is homeassistant/status whatever the discovery prefix", () => {
  assert.deepEqual(topics.haStatus, [HA_BIRTH_TOPIC]);
  assert.deepEqual(buildTopics("babymon", "n", "ha-custom").haStatus, [
    "homeassistant/status",
    "ha-custom/status",
  ]);
});

test("migration plan follows HA's procedure: migrate_discovery on old topics, new config, then clear the old", () => {
  const old = [...perEntity.map((m) => m.topic), "homeassistant/sensor/nursery/uptime/config"];
  const steps = discoveryPlan(old, [deviceMessage!]);
  const migrate = steps.filter((s) => s.why === "migrate");
  const clear = steps.filter((s) => s.why === "clear");
  assert.equal(migrate.length, perEntity.length, "every entity that lives on is migrated");
  assert.ok(migrate.every((s) => s.payload === MIGRATE_PAYLOAD));
  assert.ok(!migrate.some((s) => s.topic.includes("/uptime/")), "uptime is gone: removed, not migrated");
  assert.deepEqual(clear.map((s) => s.topic).sort(), [...old].sort());
  assert.ok(clear.every((s) => s.payload === ""));
  const order = steps.map((s) => s.why);
  assert.ok(order.lastIndexOf("migrate") < order.indexOf("config"));
  assert.ok(order.lastIndexOf("config") < order.indexOf("clear"));
  // the way back (entity mode for an old HA): migrate the device topic, per-entity configs, clear it
  const back = discoveryPlan([deviceMessage!.topic], perEntity);
  assert.deepEqual(back[0], { topic: deviceMessage!.topic, payload: MIGRATE_PAYLOAD, why: "migrate" });
  assert.deepEqual(back.at(-1), { topic: deviceMessage!.topic, payload: "", why: "clear" });
  // nothing changed: the configs only
  assert.deepEqual(
    discoveryPlan([deviceMessage!.topic], [deviceMessage!]).map((s) => s.why),
    ["config"],
  );
  // discovery turned off: everything cleared, nothing migrated
  assert.deepEqual(
    discoveryPlan([deviceMessage!.topic], []).map((s) => s.why),
    ["clear"],
  );
});

test("health payload: Started timestamp in whole seconds, and the problem flag", () => {
  const h: HealthSnapshot = {
    capture: "online",
    inferenceMsPerWindow: 12.345,
    droppedWindows: 0,
    processedWindows: 5,
    uptimeSec: 3,
    detectionEnabled: true,
    modelMissing: false,
    sinkFailures: {},
    faults: [],
  };
  const started = Date.UTC(2026, 11, 2, 1, 2, 3, 456);
  assert.equal(healthPayload(h, started).started, "2026-12-02T01:02:03.000Z");
  assert.equal(healthPayload(h, started).problem, false);
  assert.equal(healthPayload({ ...h, capture: "offline" }, started).problem, true);
  assert.equal(healthPayload({ ...h, modelMissing: true }, started).problem, true);
  assert.equal(healthPayload({ ...h, faults: ["disk"] }, started).problem, true);
  assert.equal(
    healthPayload({ ...h, faults: ["broker"] }, started).problem,
    false,
    "a message HA got crossed the broker",
  );
});

test("commands coalesce per topic, the last valid one wins, malformed ones are rate-limited in the log", async () => {
  const map = new Map<string, string>();
  const store: SettingsStore = { get: (k) => map.get(k), set: (k, v) => void map.set(k, v) };
  const control = new PersistentDetectionControl(store);
  let writes = 0;
  control.onChange(() => writes++);
  const { log, lines } = memoryLogger("debug");
  const applier = new CommandApplier({ topics, control, log });
  for (let i = 0; i < 10_000; i++) applier.offer(topics.setSensitivity, Buffer.from(String(i % 101)));
  applier.offer(topics.setSensitivity, Buffer.from("37"));
  for (let i = 0; i < 500; i++) applier.offer(topics.setDetection, Buffer.from(i % 2 ? "ON" : "OFF"));
  applier.offer(topics.setDetection, Buffer.from("OFF"));
  for (let i = 0; i < 50; i++) applier.offer(topics.setSensitivity, Buffer.from("loud"));
  assert.equal(applier.offer("babymon/nursery/other", Buffer.from("x")), false);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    control.get(),
    { enabled: false, sensitivity: 0.37 },
    "the last valid command of each topic",
  );
  assert.equal(writes, 2, "one setting change per topic, not 10,501");
  assert.deepEqual(applier.stats, { received: 10_552, invalid: 50, applied: 2 });
  const warnings = lines.filter((l) => l.msg.startsWith("MQTT: ignored a malformed command"));
  assert.equal(warnings.length, 10, "at most 10 a minute");
  assert.match(warnings[0]!.msg, /Expected a number between 0 and 100 on set\/sensitivity, got "loud"/);
});

test("commands: ON/OFF and 0..100, everything else invalid with the value named", () => {
  assert.deepEqual(parseCommand("detection", "ON"), { kind: "detection", enabled: true });
  assert.deepEqual(parseCommand("detection", Buffer.from(" off\n")), { kind: "detection", enabled: false });
  assert.deepEqual(parseCommand("sensitivity", "75"), { kind: "sensitivity", sensitivity: 0.75 });
  for (const bad of ["", "{}", "yes please", "ONN"])
    assert.equal(parseCommand("detection", bad).kind, "invalid");
  for (const bad of ["", "-1", "101", "NaN", "1e2", "0x10", "50%"]) {
    const r = parseCommand("sensitivity", bad);
    assert.equal(r.kind, "invalid", bad);
  }
  const r = parseCommand("sensitivity", "loud");
  assert.equal(
    r.kind === "invalid" && r.reason,
    'Expected a number between 0 and 100 on set/sensitivity, got "loud"',
  );
});

test("the event payload carries id, times, reason, probabilities and duration", () => {
  const p = episodeEventPayload(
    {
      type: "episode_end",
      at: 1_700_000_012_000,
      episode: {
        id: "e1",
        startMs: 1_700_000_000_000,
        startSec: 3,
        endMs: 1_700_000_012_000,
        endSec: 15,
        durationSec: 12,
        peak: 0.97,
        reason: "burping",
        confidence: 0.61,
        probabilities: { hungry: 0.1, belly_pain: 0.1, burping: 0.61, discomfort: 0.1, tired: 0.09 },
        levelDbfs: -18.25,
        models: { yamnet: "abc", heads: "heads-v1" },
      },
    },
    "nursery",
  );
  assert.equal(p.id, "e1:end");
  assert.equal(p.type, "end");
  assert.equal(p.start, "2023-11-14T22:13:20.000Z");
  assert.equal(p.end, "2023-11-14T22:13:32.000Z");
  assert.equal(p.duration_sec, 12);
  assert.equal(p.reason, "burping");
  assert.equal(p.provisional, false);
  assert.equal(p.probabilities!.burping, 0.61);
});

test("detection control persists, validates and notifies", () => {
  const map = new Map<string, string>();
  const store: SettingsStore = { get: (k) => map.get(k), set: (k, v) => void map.set(k, v) };
  const control = new PersistentDetectionControl(store);
  const seen: boolean[] = [];
  control.onChange((s) => seen.push(s.enabled));
  control.setEnabled(false, "test");
  assert.throws(() => control.setSensitivity(1.5, "test"), /between 0 and 1, got 1.5/);
  control.setSensitivity(0.9, "test");
  assert.deepEqual(new PersistentDetectionControl(store).get(), { enabled: false, sensitivity: 0.9 });
  assert.deepEqual(seen, [false, false]);
  assert.equal(thresholdForSensitivity(0.4, 0.5), 0.4);
  assert.ok(thresholdForSensitivity(0.4, 0.9) < 0.4);
  assert.ok(thresholdForSensitivity(0.4, 0.1) > 0.4);
});
