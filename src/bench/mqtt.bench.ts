import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import pino from "pino";
import type { BabymonEvent } from "../events.js";
import { brokerCredentialsPath } from "../sinks/mqtt/broker-credentials.js";
import { mqttConfigSchema } from "../sinks/mqtt/config.js";
import { EmbeddedBroker } from "../sinks/mqtt/embedded-broker.js";
import { MqttSink } from "../sinks/mqtt/mqtt-sink.js";
import { MqttOutbox } from "../sinks/mqtt/outbox.js";
import { openDatabase, SqliteSettingsStore } from "../sinks/sqlite/database.js";

/**
 * MQTT sink figures against the embedded broker on loopback (a LAN broker adds its round trip): latency from
 * `handle(episode_start)` to a subscriber receiving it, and outbox throughput when 1000 queued episode messages
 * are flushed after an outage (each waits for its PUBACK: in-order delivery costs one round trip per message).
 */
export async function run(): Promise<void> {
  const log = pino({ level: "silent" });
  const dir = mkdtempSync(join(tmpdir(), "babymon-bench-mqtt-"));
  const broker = new EmbeddedBroker(0, log, brokerCredentialsPath(dir));
  await broker.start();
  const db = openDatabase(join(dir, "bench.db"));
  const config = mqttConfigSchema.parse({
    url: broker.url,
    username: broker.clientCredentials?.username,
    deviceId: "bench",
    discovery: { enabled: false },
  });
  const outbox = new MqttOutbox(db, 100_000);
  const sink = new MqttSink({
    config,
    url: broker.url,
    password: broker.clientCredentials?.password,
    deviceId: "bench",
    swVersion: "bench",
    outbox,
    settings: new SqliteSettingsStore(db),
    log,
  });
  const sub = await mqtt.connectAsync(broker.url, { clientId: "bench-sub", ...broker.clientCredentials });
  await sub.subscribeAsync("babymon/bench/event", { qos: 1 });
  let received = 0;
  let onMessage: (() => void) | null = null;
  sub.on("message", () => {
    received++;
    onMessage?.();
  });
  await sink.start();
  while (!sink.connected) await new Promise((r) => setTimeout(r, 10));

  const event = (i: number): BabymonEvent => ({
    type: "episode_start",
    at: Date.now(),
    episode: {
      id: `e${i}`,
      startMs: Date.now(),
      startSec: i,
      peak: 0.9,
      reason: "unsure",
      confidence: 0,
      probabilities: null,
      levelDbfs: -30,
      models: { yamnet: "x", heads: null },
    },
  });

  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const got = new Promise<void>((r) => {
      onMessage = r;
    });
    await sink.handle(event(i));
    await got;
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
  console.log(
    `episode message latency (handle → subscriber, loopback): median ${q(0.5)} ms, p95 ${q(0.95)} ms`,
  );

  // an outage: 1000 messages queue up in the SQLite outbox, then are delivered in order
  await sink.stop();
  const tq = performance.now();
  for (let i = 0; i < 1000; i++) outbox.add("babymon/bench/event", JSON.stringify({ id: `q${i}` }));
  const enqueueMs = performance.now() - tq;
  received = 0;
  const second = new MqttSink({
    config,
    url: broker.url,
    password: broker.clientCredentials?.password,
    deviceId: "bench",
    swVersion: "bench",
    outbox,
    log,
  });
  const t1 = performance.now();
  await second.start();
  while (received < 1000) await new Promise((r) => setTimeout(r, 5));
  const flushMs = performance.now() - t1;
  console.log(`outbox insert: ${((enqueueMs / 1000) * 1000).toFixed(1)} µs per message (SQLite, WAL)`);
  console.log(
    `outbox flush after an outage: 1000 messages in ${flushMs.toFixed(0)} ms (${((1000 / flushMs) * 1000).toFixed(0)} msg/s, in order, one PUBACK each)`,
  );
  await second.stop();
  await sub.endAsync();
  await broker.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
