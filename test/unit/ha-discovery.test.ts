import assert from "node:assert/strict";
import { test } from "node:test";

// biome-ignore lint/suspicious/noExplicitAny: discovery payloads are free-form JSON checked field by field
type Json = any;

import {
  PersistentDetectionControl,
  type SettingsStore,
  thresholdForSensitivity,
} from "../../src/control/detection-control.js";
import { buildDiscoveryMessages } from "../../src/sinks/mqtt/discovery.js";
import { episodeEventPayload, parseCommand } from "../../src/sinks/mqtt/payloads.js";
import { buildTopics, sanitiseDeviceId } from "../../src/sinks/mqtt/topics.js";

const topics = buildTopics("babymon", "nursery", "homeassistant");
const messages = buildDiscoveryMessages({
  deviceId: "nursery",
  deviceName: "Nursery",
  swVersion: "1.2.3",
  topics,
});

test("device ids are sanitised to a safe topic level", () => {
  assert.equal(sanitiseDeviceId("Baby-Pi.local"), "baby-pi_local");
  assert.equal(sanitiseDeviceId("  Kinderzimmer #2 "), "kinderzimmer_2");
  assert.equal(sanitiseDeviceId("+/#"), "babymon");
  assert.equal(sanitiseDeviceId("x".repeat(100)).length, 64);
});

test("every discovery config: unique id, one device block, origin, availability, QoS 1", () => {
  const ids = new Set<string>();
  for (const { topic, payload } of messages) {
    assert.match(
      topic,
      /^homeassistant\/(binary_sensor|sensor|event|switch|number|button|select)\/nursery\/[a-z_]+\/config$/,
    );
    const p = payload as Record<string, Json>;
    assert.ok(!ids.has(p.unique_id), `duplicate unique_id ${p.unique_id}`);
    ids.add(p.unique_id);
    assert.deepEqual(p.device.identifiers, ["babymon_nursery"]);
    assert.equal(p.device.sw_version, "1.2.3");
    assert.ok(p.device.model);
    assert.equal(p.origin.name, "babymon");
    assert.deepEqual(p.availability, [{ topic: "babymon/nursery/availability" }]);
    assert.equal(p.qos, 1);
    assert.ok((p.state_topic ?? p.command_topic)?.startsWith("babymon/nursery/"));
  }
  assert.equal(messages.length, 14);
});

test("entity details follow Home Assistant's schema", () => {
  const get = (t: string) =>
    messages.find((m) => m.topic === `homeassistant/${t}/config`)!.payload as Record<string, Json>;
  assert.equal(get("binary_sensor/nursery/crying").device_class, "sound");
  assert.deepEqual(get("event/nursery/cry").event_types, [
    "hungry",
    "belly_pain",
    "burping",
    "discomfort",
    "tired",
    "unsure",
  ]);
  assert.equal(get("sensor/nursery/cry_reason").device_class, "enum");
  assert.deepEqual(get("sensor/nursery/cry_reason").options, get("event/nursery/cry").event_types);
  assert.equal(get("sensor/nursery/sound_level").state_class, "measurement");
  assert.equal(get("switch/nursery/detection").command_topic, "babymon/nursery/set/detection");
  assert.equal(get("number/nursery/sensitivity").command_topic, "babymon/nursery/set/sensitivity");
  assert.equal(get("sensor/nursery/uptime").device_class, "duration");
  assert.equal(get("sensor/nursery/capture_status").entity_category, "diagnostic");
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
