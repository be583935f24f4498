import assert from "node:assert/strict";
import { test } from "node:test";
import { systemdStatus } from "../../src/cli/commands/run.js";
import type { HealthSnapshot } from "../../src/events.js";

const health = (over: Partial<HealthSnapshot>): HealthSnapshot => ({
  capture: "online",
  inferenceMsPerWindow: 5,
  droppedWindows: 0,
  processedWindows: 10,
  uptimeSec: 3,
  detectionEnabled: true,
  modelMissing: false,
  sinkFailures: {},
  faults: [],
  ...over,
});

test("systemd STATUS says listening only while capture is online, and names the other faults", () => {
  assert.equal(systemdStatus(health({}), "sqlite, mqtt"), "listening (sqlite, mqtt)");
  assert.equal(
    systemdStatus(health({ capture: "offline", faults: ["capture", "disk"] }), "sqlite"),
    "NOT listening: capture offline; faults: disk",
  );
  assert.equal(systemdStatus(health({ capture: "stalled" }), "sqlite"), "NOT listening: capture stalled");
  assert.equal(systemdStatus(null, "sqlite"), "NOT listening: capture starting");
});
