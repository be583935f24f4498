import mqtt, { type MqttClient } from "mqtt";
import type { DetectionControl, DetectionSettings, SettingsStore } from "../../control/detection-control.js";
import type { HealthState } from "../../control/health.js";
import type { BabymonEvent } from "../../events.js";
import { type Logger, redactUrl } from "../../logging.js";
import type { Sink } from "../sink.js";
import { applyCommand } from "./commands.js";
import type { MqttConfig } from "./config.js";
import { clientOptions, connectionErrorText } from "./connection.js";
import { buildDiscoveryMessages } from "./discovery.js";
import type { EmbeddedBroker } from "./embedded-broker.js";
import type { MqttOutbox } from "./outbox.js";
import {
  cryEventPayload,
  episodeEventPayload,
  type HealthPayload,
  healthPayload,
  type StatePayload,
} from "./payloads.js";
import { buildTopics, type MqttTopics } from "./topics.js";

export interface MqttSinkOptions {
  config: MqttConfig;
  /** The broker to use (`config.url`); ignored when `embeddedBroker` is given. */
  url?: string;
  /** Started before connecting and stopped after disconnecting; its URL is used. */
  embeddedBroker?: EmbeddedBroker;
  /** The broker password, or how to read it (`mqtt.passwordFile`) at each start, so a retry sees a new file. */
  password?: string | (() => string | undefined);
  deviceId: string;
  swVersion: string;
  hwVersion?: string;
  outbox: MqttOutbox;
  /** Remembers which discovery topics were published, so entities that no longer exist get removed. */
  settings?: SettingsStore;
  control?: DetectionControl;
  /** Applies a `set/feedback` message (src/learning/feedback-command.ts); absent: feedback is off. */
  feedback?: (payload: Buffer) => "applied" | "invalid";
  log: Logger;
  /** The health the daemon publishes: sent on the health topic (the HA diagnostics) whenever it changes. */
  health?: HealthState;
  /** Told when the broker connection comes and goes (e.g. the fault LED). */
  onConnectionChange?: (connected: boolean) => void;
}

const DISCOVERY_TOPICS_KEY = "mqtt.discovery.topics";

/**
 * Publishes the daemon's events to an MQTT broker for Home Assistant and anything else on the LAN.
 * Episode messages go through the SQLite outbox (at-least-once, in order, one in flight); state, level and
 * health are "latest value wins" and simply re-published on every (re)connect.
 */
export class MqttSink implements Sink {
  readonly name = "mqtt";
  readonly topics: MqttTopics;
  #client: MqttClient | null = null;
  #url = "";
  #connected = false;
  #stopping = false;
  #inFlight: number | null = null;
  #state: StatePayload;
  #health: HealthPayload | null = null;
  #lastLevelMs = Number.NEGATIVE_INFINITY;
  #lastErrorText = "";
  #lastErrorLogMs = 0;
  #unsubscribe: Array<() => void> = [];
  #pumpIdle: Array<() => void> = [];
  readonly stats = { delivered: 0, connects: 0, reconnects: 0, invalidCommands: 0, droppedFromOutbox: 0 };

  constructor(private readonly options: MqttSinkOptions) {
    const { config, deviceId } = options;
    this.topics = buildTopics(config.baseTopic, deviceId, config.discovery.prefix);
    const detection: DetectionSettings = options.control?.get() ?? { enabled: true, sensitivity: 0.5 };
    this.#state = {
      crying: false,
      reason: null,
      confidence: null,
      episode_id: null,
      episode_start: null,
      level_dbfs: null,
      detection_enabled: detection.enabled,
      sensitivity: detection.sensitivity,
    };
  }

  get connected(): boolean {
    return this.#connected;
  }

  get state(): StatePayload {
    return { ...this.#state };
  }

  /**
   * Reads the password and TLS files, starts the embedded broker (if any) and connects. A broker that cannot be
   * reached is not a failure here: the client retries every `reconnectSec` and the fault board shows "broker".
   */
  async start(): Promise<void> {
    const { config, log, password, embeddedBroker } = this.options;
    const options = clientOptions(config, {
      clientId: config.clientId ?? `babymon-${this.options.deviceId}`,
      password: typeof password === "function" ? password() : password,
      willTopic: this.topics.availability,
    });
    await embeddedBroker?.start();
    this.#url = embeddedBroker?.url ?? this.options.url ?? "";
    if (!this.#url) throw new Error("Expected `mqtt.url` or an embedded broker, got neither");
    const control = this.options.control?.onChange((settings) => {
      this.#state = {
        ...this.#state,
        detection_enabled: settings.enabled,
        sensitivity: settings.sensitivity,
      };
      this.#publishState();
    });
    const health = this.options.health?.subscribe((snapshot) => {
      this.#health = healthPayload(snapshot);
      this.#publishHealth();
    });
    this.#unsubscribe = [control, health].filter((u) => u !== undefined);
    const client = mqtt.connect(this.#url, options);
    this.#client = client;
    log.info({ url: redactUrl(this.#url), topic: this.topics.root }, "MQTT: connecting");
    client.on("connect", () => this.#onConnect());
    client.on("close", () => this.#setConnected(false));
    client.on("offline", () => this.#setConnected(false));
    client.on("reconnect", () => {
      this.stats.reconnects++;
    });
    client.on("error", (error) => this.#onError(error));
    client.on("message", (topic, payload) => this.#onMessage(topic, payload));
  }

  async handle(event: BabymonEvent): Promise<void> {
    switch (event.type) {
      case "episode_start":
      case "episode_update":
      case "episode_end": {
        const payload = episodeEventPayload(event, this.options.deviceId);
        const ep = event.episode;
        this.#enqueue(this.topics.event, JSON.stringify(payload));
        if (event.type === "episode_end") {
          this.#enqueue(this.topics.cry, JSON.stringify(cryEventPayload(payload)));
        }
        this.#state = {
          ...this.#state,
          crying: event.type !== "episode_end",
          reason: ep.reason,
          confidence: payload.confidence,
          episode_id: ep.id,
          episode_start: payload.start,
        };
        this.#publishState();
        this.#pump();
        return;
      }
      case "window": {
        this.#state.level_dbfs = Math.round(event.levelDbfs * 10) / 10;
        if (!this.#health) this.#publishHealth();
        const now = Date.now();
        if (this.#connected && now - this.#lastLevelMs >= this.options.config.levelIntervalSec * 1000) {
          this.#lastLevelMs = now;
          this.#client?.publish(this.topics.level, this.#state.level_dbfs.toFixed(1), { qos: 0 });
        }
        return;
      }
      // "health" events are not needed here: the health value comes from `options.health` as it is published
      case "capture":
        if (this.#health) {
          this.#health = { ...this.#health, capture: event.status };
          this.#publishHealth();
        }
        return;
      default:
        return;
    }
  }

  /** Resolves when the outbox is empty and nothing is in flight, or after `timeoutMs` (false). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === null && this.options.outbox.size() === 0) return true;
    if (!this.#connected) return false;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#pumpIdle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    const client = this.#client;
    if (!client) return this.options.embeddedBroker?.stop();
    const drained = await this.drain(3000);
    this.#stopping = true;
    if (!drained) {
      this.options.log.warn(
        { pending: this.options.outbox.size() },
        "MQTT: stopping with undelivered episode messages; they stay in the outbox for the next start",
      );
    }
    if (this.#connected) {
      await Promise.race([
        client
          .publishAsync(this.topics.availability, "offline", { qos: 1, retain: true })
          .catch(() => undefined),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
      await client.endAsync(false).catch(() => undefined);
    } else {
      await client.endAsync(true).catch(() => undefined);
    }
    this.#client = null;
    this.#setConnected(false);
    await this.options.embeddedBroker?.stop();
  }

  #enqueue(topic: string, payload: string): void {
    const dropped = this.options.outbox.add(topic, payload);
    if (dropped > 0) {
      this.stats.droppedFromOutbox += dropped;
      this.options.log.warn({ dropped }, "MQTT: outbox full, dropped the oldest undelivered messages");
    }
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    if (!connected && !this.#stopping) this.options.log.warn("MQTT: disconnected from the broker, retrying");
    this.options.onConnectionChange?.(connected);
  }

  #onConnect(): void {
    const client = this.#client;
    if (!client) return;
    this.stats.connects++;
    this.#lastErrorText = "";
    this.options.log.info(
      { url: redactUrl(this.#url), pending: this.options.outbox.size() },
      "MQTT: connected",
    );
    client.subscribe(
      [this.topics.setDetection, this.topics.setSensitivity, this.topics.setFeedback, this.topics.haStatus],
      { qos: 1 },
      (error) => {
        if (error) this.options.log.error({ err: error }, "MQTT: could not subscribe to the command topics");
      },
    );
    this.#publishDiscovery();
    client.publish(this.topics.availability, "online", { qos: 1, retain: true });
    this.#publishState();
    this.#publishHealth();
    this.#setConnected(true);
    this.#pump();
  }

  #onError(error: Error & { code?: number | string }): void {
    const text = connectionErrorText(error, this.#url, this.options.config.reconnectSec);
    const now = Date.now();
    // the same error on every retry would flood the journal: repeat it at most once a minute
    if (text !== this.#lastErrorText || now - this.#lastErrorLogMs > 60_000) {
      this.options.log.error({ code: error.code }, text);
      this.#lastErrorText = text;
      this.#lastErrorLogMs = now;
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    const { log, control } = this.options;
    if (topic !== this.topics.haStatus) {
      if (
        applyCommand(topic, payload, {
          topics: this.topics,
          control,
          log,
          feedback: this.options.feedback,
        }) === "invalid"
      )
        this.stats.invalidCommands++;
      return;
    }
    if (payload.toString("utf8").trim() !== "online") return;
    log.info("MQTT: Home Assistant came online, re-publishing discovery and state");
    try {
      this.#publishDiscovery();
      this.#client?.publish(this.topics.availability, "online", { qos: 1, retain: true });
      this.#publishState();
      this.#publishHealth();
    } catch (error) {
      log.warn({ err: error, topic }, "MQTT: could not re-publish for Home Assistant");
    }
  }

  #publishDiscovery(): void {
    const client = this.#client;
    if (!client) return;
    const { config, settings } = this.options;
    const messages = config.discovery.enabled
      ? buildDiscoveryMessages({
          deviceId: this.options.deviceId,
          deviceName: config.deviceName,
          swVersion: this.options.swVersion,
          hwVersion: this.options.hwVersion,
          topics: this.topics,
        })
      : [];
    const current = new Set(messages.map((m) => m.topic));
    let previous: string[] = [];
    try {
      previous = JSON.parse(settings?.get(DISCOVERY_TOPICS_KEY) ?? "[]") as string[];
    } catch {
      previous = [];
    }
    for (const topic of previous) {
      // an empty retained config removes the entity from Home Assistant
      if (!current.has(topic)) client.publish(topic, "", { qos: 1, retain: true });
    }
    for (const m of messages) client.publish(m.topic, JSON.stringify(m.payload), { qos: 1, retain: true });
    settings?.set(DISCOVERY_TOPICS_KEY, JSON.stringify([...current]));
  }

  #publishState(): void {
    if (!this.#connected && !this.#client?.connected) return;
    this.#client?.publish(this.topics.state, JSON.stringify(this.#state), { qos: 1, retain: true });
  }

  #publishHealth(): void {
    if (!this.#connected && !this.#client?.connected) return;
    // before the daemon listens there is no snapshot yet: the first one published fills it in
    const latest = this.options.health?.latest;
    if (!this.#health && latest) this.#health = healthPayload(latest);
    if (!this.#health) return;
    this.#client?.publish(this.topics.health, JSON.stringify(this.#health), { qos: 0, retain: true });
  }

  /**
   * Sends the oldest outbox message and waits for its PUBACK before the next one, so order holds. A message
   * in flight when the connection drops is re-sent by the client after reconnecting (the same packet, with
   * the DUP flag), never a second time by us; its row is deleted only once acknowledged.
   */
  #pump(): void {
    const client = this.#client;
    if (!client || !this.#connected || this.#stopping || this.#inFlight !== null) return;
    const [next] = this.options.outbox.peek(0, 1);
    if (!next) {
      for (const resolve of this.#pumpIdle.splice(0)) resolve();
      return;
    }
    this.#inFlight = next.id;
    client.publish(next.topic, next.payload, { qos: 1, retain: false }, (error) => {
      this.#inFlight = null;
      if (error) {
        this.options.log.debug(
          { err: error, id: next.id },
          "MQTT: publish not acknowledged, kept in the outbox",
        );
        return;
      }
      this.options.outbox.remove(next.id);
      this.stats.delivered++;
      this.#pump();
    });
  }
}
