import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { mqttConfigSchema } from "../../src/sinks/mqtt/config.js";
import { resolveMqttPassword } from "../../src/sinks/mqtt/secrets.js";
import { memoryLogger } from "../support/memory-logger.js";

test("the mqtt slice: defaults, and bad values named", () => {
  const c = mqttConfigSchema.parse({});
  assert.equal(c.url, undefined);
  assert.equal(c.baseTopic, "babymon");
  assert.equal(c.discovery.prefix, "homeassistant");
  assert.equal(c.discovery.mode, "device", "device-based discovery by default (HA ≥ 2024.11)");
  assert.equal(c.discovery.republishDelaySec, 1);
  assert.equal(c.levelIntervalSec, 30, "the sound level at most every 30 s");
  const mode = mqttConfigSchema.safeParse({ discovery: { mode: "legacy" } });
  assert.equal(mode.success, false);
  assert.deepEqual(mode.error!.issues[0]!.path, ["discovery", "mode"]);
  assert.equal(c.embeddedBroker.port, 1883);
  const bad = mqttConfigSchema.safeParse({ url: "http://broker" });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0]!.path, ["url"]);
  assert.equal(mqttConfigSchema.safeParse({ keepaliveSec: 1 }).success, false);
  assert.equal(mqttConfigSchema.safeParse({ baseTopic: "babymon/#" }).success, false);
  assert.equal(mqttConfigSchema.safeParse({ tls: { cert: "/c.pem" } }).success, false);
  assert.equal(mqttConfigSchema.safeParse({ pasword: "typo" }).success, false);
});

test("a password in a config file readable by others is warned about; env and 0600 files are not", () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-secrets-"));
  const open = join(dir, "open.yaml");
  writeFileSync(open, "mqtt:\n  url: mqtt://broker\n  password: hunter2\n", { mode: 0o644 });
  const loaded = loadConfig({ file: open, env: {} });
  const a = memoryLogger();
  assert.equal(
    resolveMqttPassword(loaded.config.mqtt, a.log, { passwordOrigin: loaded.origins["mqtt.password"] }),
    "hunter2",
  );
  assert.equal(a.lines.length, 1);
  assert.match(a.lines[0]!.msg, /open\.yaml holds the MQTT password and is readable by other users/);

  const closed = join(dir, "closed.yaml");
  writeFileSync(closed, "mqtt:\n  password: hunter2\n", { mode: 0o600 });
  const b = memoryLogger();
  const l2 = loadConfig({ file: closed, env: {} });
  resolveMqttPassword(l2.config.mqtt, b.log, { passwordOrigin: l2.origins["mqtt.password"] });
  assert.equal(b.lines.length, 0);

  const fromEnv = loadConfig({ file: open, env: { BABYMON_MQTT__PASSWORD: "from-env" } });
  const c = memoryLogger();
  assert.equal(
    resolveMqttPassword(fromEnv.config.mqtt, c.log, { passwordOrigin: fromEnv.origins["mqtt.password"] }),
    "from-env",
  );
  assert.equal(c.lines.length, 0);
});

test("passwordFile: first line, warned when others can read it, a clear error when missing", () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-secrets-"));
  const file = join(dir, "pw");
  writeFileSync(file, "s3cret\nignored\n", { mode: 0o600 });
  const a = memoryLogger();
  assert.equal(resolveMqttPassword({ passwordFile: file }, a.log), "s3cret");
  assert.equal(a.lines.length, 0);
  const shared = join(dir, "pw-shared");
  writeFileSync(shared, "s3cret", { mode: 0o644 });
  const b = memoryLogger();
  resolveMqttPassword({ passwordFile: shared }, b.log);
  assert.match(b.lines[0]!.msg, /readable by other users: chmod 600/);
  assert.throws(
    () => resolveMqttPassword({ passwordFile: join(dir, "nope") }, b.log),
    /Expected `mqtt.passwordFile` to be a readable file, got .*nope/,
  );
  assert.equal(resolveMqttPassword({}, b.log), undefined);
});
