import client from "prom-client";
import type { FaultBoard } from "../control/faults.js";
import type { HealthState } from "../control/health.js";
import { type BabymonEvent, REASONS } from "../events.js";
import type { Db } from "../sinks/sqlite/database.js";

export interface WebMetricsOptions {
  health: HealthState;
  faults: FaultBoard;
  /** the daemon's database, for the MQTT outbox's size (null: storage off, the outbox is in memory) */
  database: Db | null;
  mqttEnabled: boolean;
}

/**
 * The daemon's Prometheus metrics (`GET /metrics`), in a registry of their own. Events update counters and
 * gauges (a few additions per window, on the web sink's queue); what another part owns (dropped windows, the MQTT
 * connection, the outbox) is read only when scraped.
 */
export class WebMetrics {
  readonly registry = new client.Registry();
  readonly #windows: client.Counter;
  readonly #episodes: client.Counter<"reason">;
  readonly #inference: client.Histogram;
  readonly #cry: client.Gauge;
  readonly #level: client.Gauge;
  readonly #captureUp: client.Gauge;

  constructor(o: WebMetricsOptions) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.#windows = new client.Counter({
      name: "babymon_windows_processed_total",
      help: "Audio windows the pipeline processed (analysed or skipped by the volume gate)",
      registers,
    });
    new client.Counter({
      name: "babymon_windows_dropped_total",
      help: "Windows dropped because inference fell behind the live source",
      registers,
      collect() {
        this.reset();
        this.inc(o.health.latest?.droppedWindows ?? 0);
      },
    });
    this.#episodes = new client.Counter({
      name: "babymon_cry_episodes_total",
      help: "Cry episodes that ended, by reason",
      labelNames: ["reason"],
      registers,
    });
    for (const reason of [...REASONS, "unsure"]) this.#episodes.inc({ reason }, 0);
    this.#inference = new client.Histogram({
      name: "babymon_inference_seconds",
      help: "Inference time per analysed window (log-mel, YAMNet, heads)",
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    });
    this.#cry = new client.Gauge({
      name: "babymon_cry_probability",
      help: "Cry probability of the last window",
      registers,
    });
    this.#level = new client.Gauge({
      name: "babymon_level_dbfs",
      help: "RMS level of the last window (dBFS)",
      registers,
    });
    this.#captureUp = new client.Gauge({
      name: "babymon_capture_up",
      help: "1 while audio capture is online",
      registers,
    });
    new client.Gauge({
      name: "babymon_mqtt_connected",
      help: "1 while connected to the MQTT broker (0 also when MQTT is off)",
      registers,
      collect() {
        const faults = o.faults.active();
        this.set(o.mqttEnabled && !faults.includes("broker") && !faults.includes("sink:mqtt") ? 1 : 0);
      },
    });
    const countOutbox = o.database?.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM mqtt_outbox");
    new client.Gauge({
      name: "babymon_outbox_messages",
      help: "Episode messages waiting in the MQTT outbox for the broker",
      registers,
      collect() {
        this.set(countOutbox?.get()?.n ?? 0);
      },
    });
  }

  apply(event: BabymonEvent): void {
    switch (event.type) {
      case "window":
        this.#windows.inc();
        this.#cry.set(event.cry);
        this.#level.set(Number.isFinite(event.levelDbfs) ? event.levelDbfs : -120);
        if (event.inferenceMs !== undefined) this.#inference.observe(event.inferenceMs / 1000);
        return;
      case "episode_end":
        this.#episodes.inc({ reason: event.episode.reason });
        return;
      case "capture":
        this.#captureUp.set(event.status === "online" ? 1 : 0);
        return;
      case "health":
        this.#captureUp.set(event.health.capture === "online" ? 1 : 0);
        return;
      default:
        return;
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
