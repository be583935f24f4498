import mqtt, { type MqttClient } from "mqtt";
import type { BabymonEvent } from "../../events.js";
import { redactUrl } from "../../logging.js";
import type { Sink } from "../sink.js";
import { CommandApplier } from "./commands.js";
import { clientOptions, connectionErrorText } from "./connection.js";
import { buildDiscoveryMessages } from "./discovery.js";
import { DiscoveryPublisher } from "./discovery-publisher.js";
import type { MqttSinkOptions } from "./mqtt-sink-options.js";
import {
  cryEventPayload,
  episodeEventPayload,
  type HealthPayload,
  hasProblem,
  healthPayload,
  initialState,
  type StatePayload,
  stateAfterEpisode,
} from "./payloads.js";
import { buildTopics, type MqttTopics } from "./topics.js";

export type { MqttSinkOptions } from "./mqtt-sink-options.js";

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
  #lastLevel: string | null = null;
  #captureSent: string | null = null;
  #republishTimer: NodeJS.Timeout | null = null;
  #lastErrorText = "";
  #lastErrorLogMs = 0;
  #unsubscribe: Array<() => void> = [];
  #pumpIdle: Array<() => void> = [];
  readonly #startedMs: number;
  readonly #commands: CommandApplier;
  readonly #discovery: DiscoveryPublisher;
  readonly #counters = {
    delivered: 0,
    connects: 0,
    reconnects: 0,
    droppedFromOutbox: 0,
    haOnline: 0,
    republishes: 0,
  };

  constructor(private readonly options: MqttSinkOptions) {
    const { config, deviceId } = options;
    this.topics = buildTopics(config.baseTopic, deviceId, config.discovery.prefix);
    this.#startedMs = options.startedMs ?? Math.round(performance.timeOrigin);
    this.#commands = new CommandApplier({
      topics: this.topics,
      control: options.control,
      log: options.log,
      feedback: options.feedback,
    });
    this.#discovery = new DiscoveryPublisher({
      settings: options.settings,
      log: options.log,
      build: () =>
        config.discovery.enabled
          ? buildDiscoveryMessages({
              deviceId,
              deviceName: config.deviceName,
              swVersion: options.swVersion,
              hwVersion: options.hwVersion,
              configurationUrl: options.configurationUrl,
              topics: this.topics,
              mode: config.discovery.mode,
            })
          : [],
    });
    this.#state = initialState(options.control?.get() ?? { enabled: true, sensitivity: 0.5 });
  }

  get connected(): boolean {
    return this.#connected;
  }

  get state(): StatePayload {
    return { ...this.#state };
  }

  /** Counters: deliveries, connections, commands (received / invalid / applied), discovery publishes, HA births. */
  get stats() {
    return {
      ...this.#counters,
      invalidCommands: this.#commands.stats.invalid,
      commands: { ...this.#commands.stats },
      discovery: { ...this.#discovery.stats },
    };
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
    Object.assign(options, embeddedBroker?.clientCredentials); // its generated login, when it is ours
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
      this.#health = healthPayload(snapshot, this.#startedMs);
      this.#publishHealth();
      this.#publishCaptureAvailability(false);
    });
    this.#unsubscribe = [control, health].filter((u) => u !== undefined);
    const client = mqtt.connect(this.#url, options);
    this.#client = client;
    log.info({ url: redactUrl(this.#url), topic: this.topics.root }, "MQTT: connecting");
    client.on("connect", () => this.#onConnect());
    client.on("close", () => this.#setConnected(false));
    client.on("offline", () => this.#setConnected(false));
    client.on("reconnect", () => {
      this.#counters.reconnects++;
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
        this.#enqueue(this.topics.event, JSON.stringify(payload));
        if (event.type === "episode_end") {
          this.#enqueue(this.topics.cry, JSON.stringify(cryEventPayload(payload)));
        }
        this.#state = stateAfterEpisode(this.#state, event.type, payload);
        this.#publishState();
        this.#pump();
        return;
      }
      case "window": {
        this.#state.level_dbfs = Math.round(event.levelDbfs * 10) / 10;
        if (!this.#health) this.#publishHealth();
        // on change, at most every levelIntervalSec (30 s by default): a sensor, not a stream
        const now = Date.now();
        const level = this.#state.level_dbfs.toFixed(1);
        const due = now - this.#lastLevelMs >= this.options.config.levelIntervalSec * 1000;
        if (this.#connected && due && level !== this.#lastLevel) {
          this.#lastLevelMs = now;
          this.#lastLevel = level;
          this.#client?.publish(this.topics.level, level, { qos: 0 });
        }
        return;
      }
      // "health" events are not needed here: the health value comes from `options.health` as it is published
      case "capture":
        if (this.#health) {
          const { model_missing: modelMissing, faults } = this.#health;
          const problem = hasProblem({ capture: event.status, modelMissing, faults });
          this.#health = { ...this.#health, capture: event.status, problem };
          this.#publishHealth();
          this.#publishCaptureAvailability(false);
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
    if (this.#republishTimer) clearTimeout(this.#republishTimer);
    this.#republishTimer = null;
    const client = this.#client;
    if (!client) return this.options.embeddedBroker?.stop();
    const drained = await this.drain(3000);
    this.#stopping = true;
    if (!drained) {
      const { outbox } = this.options;
      this.options.log.warn(
        { pending: outbox.size(), lostInMemory: outbox.inMemory },
        outbox.inMemory > 0
          ? "MQTT: stopping with undelivered episode messages; those held in memory (the database could not be written) are lost, the others stay in the outbox for the next start"
          : "MQTT: stopping with undelivered episode messages; they stay in the outbox for the next start",
      );
    }
    if (this.#connected) {
      await Promise.race([
        Promise.all(
          [this.topics.captureAvailability, this.topics.availability].map((topic) =>
            client.publishAsync(topic, "offline", { qos: 1, retain: true }),
          ),
        ).catch(() => undefined),
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
      this.#counters.droppedFromOutbox += dropped;
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
    this.#counters.connects++;
    this.#lastErrorText = "";
    this.options.log.info(
      { url: redactUrl(this.#url), pending: this.options.outbox.size() },
      "MQTT: connected",
    );
    // QoS 0: the broker writes each command straight to the socket instead of queueing it behind 20 unacknowledged
    // ones (Mosquitto's max_inflight_messages) and dropping what exceeds its queue (max_queued_messages 1000), which
    // in a burst dropped the newest commands, the one that must win. A command sent while we are away is not kept
    // either way (clean session), and HA re-sends state after its birth.
    client.subscribe(
      [
        this.topics.setDetection,
        this.topics.setSensitivity,
        this.topics.setFeedback,
        ...this.topics.haStatus,
      ],
      { qos: 0 },
      (error) => {
        if (error) this.options.log.error({ err: error }, "MQTT: could not subscribe to the command topics");
      },
    );
    // connected first: the fault board hears of it (no "broker" fault) before the health below goes out
    this.#setConnected(true);
    this.#publishAll();
    this.#pump();
  }

  /** Discovery, then availability (the daemon's and the capture's), state and health. */
  #publishAll(): void {
    const client = this.#client;
    if (!client) return;
    void this.#discovery.publish(client);
    client.publish(this.topics.availability, "online", { qos: 1, retain: true });
    this.#publishCaptureAvailability(true);
    this.#publishState();
    this.#publishHealth();
  }

  /** `online` while capture is online and without a "capture" fault; retained, sent when it changes. */
  #publishCaptureAvailability(force: boolean): void {
    if (!this.#connected && !this.#client?.connected) return;
    const h = this.#health;
    const online = h !== null && h.capture === "online" && !h.faults.includes("capture");
    const payload = online ? "online" : "offline";
    if (!force && payload === this.#captureSent) return;
    this.#captureSent = payload;
    this.#client?.publish(this.topics.captureAvailability, payload, { qos: 1, retain: true });
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
    if (this.#commands.offer(topic, payload)) return;
    if (!this.topics.haStatus.includes(topic) || payload.toString("utf8").trim() !== "online") return;
    this.#counters.haOnline++;
    // HA's birth can come in bursts (several HA instances, a flapping broker bridge, a script): one re-publish per
    // `discovery.republishDelaySec` window, however many births arrive in it
    if (this.#republishTimer) return;
    this.#republishTimer = setTimeout(() => {
      this.#republishTimer = null;
      this.#counters.republishes++;
      this.options.log.info("MQTT: Home Assistant came online, re-publishing discovery and state");
      this.#publishAll();
    }, this.options.config.discovery.republishDelaySec * 1000);
  }

  #publishState(): void {
    if (!this.#connected && !this.#client?.connected) return;
    this.#client?.publish(this.topics.state, JSON.stringify(this.#state), { qos: 1, retain: true });
  }

  #publishHealth(): void {
    if (!this.#connected && !this.#client?.connected) return;
    // before the daemon listens there is no snapshot yet: the first one published fills it in
    const latest = this.options.health?.latest;
    if (!this.#health && latest) this.#health = healthPayload(latest, this.#startedMs);
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
      this.#counters.delivered++;
      this.#pump();
    });
  }
}
