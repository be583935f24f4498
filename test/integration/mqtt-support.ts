import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import mqtt, { type MqttClient } from "mqtt";
import { PersistentDetectionControl } from "../../src/control/detection-control.js";
import { mqttConfigSchema } from "../../src/sinks/mqtt/config.js";
import { MqttSink, type MqttSinkOptions } from "../../src/sinks/mqtt/mqtt-sink.js";
import { MqttOutbox } from "../../src/sinks/mqtt/outbox.js";
import { openDatabase, SqliteSettingsStore } from "../../src/sinks/sqlite/database.js";
import { memoryLogger } from "../support/memory-logger.js";

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A real Mosquitto on a free loopback port with its own temp config and persistence (so a persistent
 * subscriber session survives a broker restart, as with Debian's default configuration).
 */
export class MosquittoBroker {
  readonly dir = mkdtempSync(join(tmpdir(), "babymon-mosquitto-"));
  port = 0;
  #child: ChildProcess | null = null;

  constructor(private readonly users: Record<string, string> | null = null) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const lines = [
      `listener ${this.port} 127.0.0.1`,
      "persistence true",
      `persistence_location ${this.dir}/`,
      `user ${userInfo().username}`,
      "log_dest none",
    ];
    if (this.users) {
      const passwd = join(this.dir, "passwd");
      writeFileSync(passwd, "", { mode: 0o600 });
      for (const [user, password] of Object.entries(this.users)) {
        execFileSync("mosquitto_passwd", ["-b", passwd, user, password], { stdio: "ignore" });
      }
      lines.push(`password_file ${passwd}`, "allow_anonymous false");
    } else {
      lines.push("allow_anonymous true");
    }
    const conf = join(this.dir, "mosquitto.conf");
    writeFileSync(conf, `${lines.join("\n")}\n`);
    const child = spawn(MOSQUITTO, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    this.#child = child;
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      await waitForPort(this.port, 5000);
    } catch (error) {
      throw new Error(`${(error as Error).message}: ${stderr}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
}

export interface ReceivedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  atMs: number;
}

/** A subscriber with a persistent session (clean: false) that records everything it receives. */
export class RecordingSubscriber {
  readonly messages: ReceivedMessage[] = [];
  client: MqttClient | null = null;

  constructor(
    private readonly url: string,
    private readonly topics: string[],
    private readonly options: { username?: string; password?: string; clientId?: string } = {},
  ) {}

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, {
      clientId: this.options.clientId ?? `test-sub-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: false,
      reconnectPeriod: 200,
      username: this.options.username,
      password: this.options.password,
    });
    this.client = client;
    client.on("message", (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload: payload.toString("utf8"),
        retain: packet.retain,
        atMs: Date.now(),
      });
    });
    await client.subscribeAsync(this.topics, { qos: 1 });
  }

  on(topic: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async waitFor(
    predicate: (messages: ReceivedMessage[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) {
        const seen = this.messages.map((m) => `${m.topic} ${m.payload.slice(0, 80)}`).join("\n  ");
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; received:\n  ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = null;
  }
}

/** An MQTT sink as the daemon builds it (SQLite outbox and settings in `dbFile`), logging into memory. */
export interface Daemonish {
  sink: MqttSink;
  db: Database.Database;
  control: PersistentDetectionControl;
  lines: Array<{ level: number; msg: string }>;
}

export function makeSink(
  dbFile: string,
  url: string,
  extra: Record<string, unknown> = {},
  password?: string,
  options: Partial<MqttSinkOptions> = {},
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
    ...options,
  });
  return { sink, db, control, lines };
}

export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
