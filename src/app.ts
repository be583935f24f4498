import { join } from "node:path";
import { createAudioSource } from "./audio/sources/index.js";
import type { AudioSource } from "./audio/sources/source.js";
import { resolveDataDir } from "./config/load.js";
import type { Config } from "./config/schema.js";
import {
  type DetectionControl,
  detectionOffWarning,
  PersistentDetectionControl,
} from "./control/detection-control.js";
import { FaultBoard } from "./control/faults.js";
import { HealthState } from "./control/health.js";
import { ListeningPipeline } from "./detection/listening-pipeline.js";
import { PATCH_WINDOW_SAMPLES } from "./dsp/frontend-params.js";
import type { BabymonEvent, HealthSnapshot } from "./events.js";
import type { Analyzer } from "./inference/types.js";
import { learningSinkFactory } from "./learning/factory.js";
import { LearningSink } from "./learning/learning-sink.js";
import { type Logger, RepeatLimiter } from "./logging.js";
import { detectionForModels, loadAnalyzer } from "./model-loading.js";
import { type RetryPolicy, ServiceRegistry, type Tier } from "./service/registry.js";
import { clipRecorderFactory } from "./sinks/clips/factory.js";
import { gpioSinkFactory } from "./sinks/gpio/factory.js";
import { mqttSinkFactory } from "./sinks/mqtt/factory.js";
import { QueuedSink } from "./sinks/queued-sink.js";
import type { Sink, SinkContext, SinkFactory } from "./sinks/sink.js";
import { type Db, SqliteSettingsStore } from "./sinks/sqlite/database.js";
import { sqliteSinkFactory } from "./sinks/sqlite/factory.js";
import { closeInterruptedEpisodes } from "./sinks/sqlite/interrupted.js";
import { openDaemonDatabase } from "./sinks/sqlite/open-daemon-database.js";
import { systemdWatchdogFactory } from "./sinks/systemd-watchdog.js";
import { webSinkFactory } from "./web/factory.js";

export { detectionForModels, loadAnalyzer, resolveHeadsDir } from "./model-loading.js";

/**
 * Every sink of the daemon. Add a sink: write its factory (src/sinks/<name>/factory.ts) and append it here. Each
 * starts in order, except that a sink `after` another starts before it (and stops after it).
 */
export const SINK_FACTORIES: SinkFactory[] = [
  sqliteSinkFactory,
  clipRecorderFactory,
  mqttSinkFactory,
  gpioSinkFactory,
  systemdWatchdogFactory,
  webSinkFactory,
  learningSinkFactory,
];

/** How long a sink's queue may take to drain at stop before the sink itself stops (within the sinks' deadline). */
const SINK_FLUSH_MS = 3000;

export interface AppOptions {
  config: Config;
  logger: Logger;
  /** Overrides for tests and `detect`: a ready source, analyzer or extra sinks. */
  source?: AudioSource;
  analyzer?: Analyzer | null;
  sinkFactories?: SinkFactory[];
  newEpisodeId?: () => string;
  configOrigins?: Record<string, string>;
  /** Tests: quicker retries of a sink that failed to start, shorter stop deadlines. */
  retry?: RetryPolicy;
  stopDeadlines?: Partial<Record<Tier, number>>;
}

export function databasePath(config: Config, dataDir: string): string {
  return config.storage.path ?? join(dataDir, "babymon.db");
}

/**
 * The composition root: builds every service from the config and starts them tier by tier — database, sinks
 * (a sink `after` another just before it), analyzer, pipeline — and stops them in reverse within a deadline per
 * tier (src/service/registry.ts): the open episode is closed first, then the sinks flush, the database closes last.
 * Only the database with its SQLite sink, the analyzer and capture are critical: any other sink that cannot start
 * is logged, shown as a fault and retried, and the daemon keeps listening.
 */
export class App {
  /** The sinks that run, in start order; a sink that failed to start joins when a retry succeeds. */
  readonly sinks: QueuedSink[] = [];
  pipeline!: ListeningPipeline;
  database: Db | null = null;
  control!: DetectionControl;
  /** the home's "not a cry" veto and reason model (src/learning), when on */
  learning: LearningSink | null = null;
  readonly faults = new FaultBoard();
  /** The health the app publishes: the pipeline's figures, the sinks' failures and the active faults. */
  readonly health = new HealthState();
  readonly dataDir: string;
  readonly services: ServiceRegistry;
  private healthTimer: NodeJS.Timeout | null = null;
  private unsubscribe: Array<() => void> = [];
  /** closing events of episodes a kill left open, handed to the sinks once they run */
  private interrupted: BabymonEvent[] = [];
  private readonly sinkErrors = new RepeatLimiter();
  /** a microphone or stream, whose going offline is a fault (a replayed file just ends) */
  private liveCapture = false;

  constructor(private readonly o: AppOptions) {
    this.dataDir = resolveDataDir(o.config);
    this.services = new ServiceRegistry({
      logger: o.logger,
      faults: this.faults,
      retry: o.retry,
      deadlines: o.stopDeadlines,
    });
  }

  emit = (event: BabymonEvent): void => {
    if (event.type === "capture" && this.liveCapture)
      this.faults.set("capture", event.status !== "online", event.detail ?? "");
    if (event.type === "episode_start" || event.type === "episode_update" || event.type === "episode_end") {
      const { id, reason, peak, confidence } = event.episode;
      const what = { episode_start: "cry started", episode_update: "cry reason", episode_end: "cry ended" }[
        event.type
      ];
      this.o.logger.info({ episode: id, reason, confidence, peak }, what);
    }
    for (const sink of this.sinks) if (!sink.sink.after) sink.enqueue(event);
  };

  sinkFailures(): Record<string, number> {
    return Object.fromEntries(this.sinks.map((s) => [s.name, s.getStats().failed + s.getStats().dropped]));
  }

  /** Builds and starts everything. On failure of a critical service, what was started is stopped again. */
  async start(): Promise<void> {
    const { config, logger } = this.o;
    try {
      if (config.storage.enabled) {
        const path = databasePath(config, this.dataDir);
        await this.services.start({
          tier: "database",
          critical: true,
          service: {
            name: "database",
            start: async () => {
              this.database = openDaemonDatabase(path, { faults: this.faults, logger });
              if (!this.database) return;
              logger.info({ path }, "database open");
              this.interrupted = closeInterruptedEpisodes(this.database, logger);
            },
            stop: async () => {
              this.database?.close();
              this.database = null;
            },
          },
        });
      }
      const control = new PersistentDetectionControl(
        this.database ? new SqliteSettingsStore(this.database) : undefined,
      );
      this.control = control;
      const change = control.lastEnabledChange();
      const off = detectionOffWarning(control.get(), change, Date.now());
      const since = change && !change.enabled ? new Date(change.atMs).toISOString() : null;
      if (off) logger.warn({ detection: "off", since, by: since ? change?.source : null }, off);
      await this.startSinks();
      for (const end of this.interrupted.splice(0)) this.emit(end);
      await this.listen(await this.startAnalyzer());
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startSinks(): Promise<void> {
    const context: SinkContext = {
      config: this.o.config,
      logger: this.o.logger,
      dataDir: this.dataDir,
      database: this.database,
      control: this.control,
      health: this.health,
      configOrigins: this.o.configOrigins ?? {},
      faults: this.faults,
    };
    const built: Sink[] = [];
    for (const factory of this.o.sinkFactories ?? SINK_FACTORIES) {
      const sink = await factory(context);
      if (sink) built.push(sink);
    }
    this.learning = built.find((s): s is LearningSink => s instanceof LearningSink) ?? null;
    for (const sink of built) {
      if (sink.after && !built.some((s) => s.name === sink.after))
        this.o.logger.warn({ sink: sink.name }, `sink ${sink.name} follows ${sink.after}, which is off`);
    }
    // a sink that follows another starts first, so it is there for the first event handed on to it
    for (const sink of [...built.filter((s) => s.after), ...built.filter((s) => !s.after)]) {
      await this.startSink(sink);
    }
  }

  private async startSink(sink: Sink): Promise<void> {
    const queued = new QueuedSink(sink, {
      onError: (err, event) => {
        const text = (err as Error)?.message ?? String(err);
        const logged = this.sinkErrors.pass(`${sink.name}: ${text}`);
        if (logged)
          this.o.logger.error({ sink: sink.name, event: event.type, err: text, ...logged }, "sink failed");
      },
      handOn: (event) => {
        for (const follower of this.sinks) if (follower.sink.after === sink.name) follower.enqueue(event);
      },
    });
    await this.services.start({
      tier: sink.after ? "followers" : "sinks",
      critical: sink.critical === true,
      fault: `sink:${sink.name}`,
      service: {
        name: `sink:${sink.name}`,
        start: () => queued.start(),
        stop: () => queued.stop(SINK_FLUSH_MS),
      },
      onStarted: () => this.sinks.push(queued),
    });
  }

  private async startAnalyzer(): Promise<Analyzer | null> {
    const { config, logger } = this.o;
    let analyzer = this.o.analyzer;
    if (analyzer === undefined) {
      try {
        analyzer = await loadAnalyzer(config.inference, logger);
      } catch (err) {
        logger.error({ err: (err as Error).message }, "model missing: no cry detection until it is fixed");
        analyzer = null;
        this.faults.set("model", true);
      }
    }
    if (analyzer) {
      const a = analyzer;
      await this.services.start({
        tier: "analyzer",
        critical: true,
        service: {
          name: "analyzer",
          // the first inference compiles the backend's kernels (~0.5 s on wasm): do it before audio arrives (a
          // detector's reason heads wait for the first window that needs a reason: reasonsAbove 1 asks for none)
          start: async () =>
            void (await a.analyze([new Float32Array(PATCH_WINDOW_SAMPLES)], { reasonsAbove: 1 })),
          stop: async () => a.dispose(),
        },
      });
    }
    return analyzer;
  }

  private async listen(analyzer: Analyzer | null): Promise<void> {
    const { config, logger } = this.o;
    const source = this.o.source ?? createAudioSource(config.audio);
    this.liveCapture = !source.replayClock && !source.lossless;
    this.pipeline = new ListeningPipeline({
      windows: config.windows,
      inference: config.inference,
      detection: detectionForModels(config.detection, this.o.configOrigins ?? {}, analyzer),
      source,
      analyzer,
      emit: this.emit,
      logger,
      control: this.control,
      newEpisodeId: this.o.newEpisodeId,
      onAudio: (samples) => {
        for (const sink of this.sinks) sink.audio(samples);
      },
      windowVeto: (embedding) => this.learning?.vetoes(embedding) ?? false,
    });
    logger.info(
      { source: source.description, backend: analyzer?.backend, models: analyzer?.models },
      "listening",
    );
    await this.services.start({
      tier: "capture",
      critical: true,
      service: {
        name: "pipeline",
        start: async () => {
          await this.pipeline.start();
          this.startPublishingHealth();
        },
        stop: async () => {
          this.stopPublishingHealth();
          await this.pipeline.stop();
          this.publishHealth(true);
        },
      },
    });
  }

  /**
   * Health events (SQLite rows, logged at debug) every `logging.healthEverySec` and on each settings change, as
   * the value (HealthState) also when a fault comes or goes.
   */
  private startPublishingHealth(): void {
    const every = this.o.config.logging.healthEverySec;
    if (every > 0) {
      this.healthTimer = setInterval(() => this.publishHealth(true), every * 1000);
      this.healthTimer.unref();
    }
    // after the pipeline's own listener, so the snapshot has the new settings
    this.unsubscribe.push(this.control.onChange(() => this.publishHealth(true)));
    let replaying = true; // subscribe() first replays the faults already active: one snapshot below covers them
    this.unsubscribe.push(
      this.faults.subscribe(() => {
        if (!replaying) this.publishHealth(false);
      }),
    );
    replaying = false;
    this.publishHealth(false);
  }

  private stopPublishingHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  private publishHealth(asEvent: boolean): void {
    const health: HealthSnapshot = {
      ...this.pipeline.health(),
      sinkFailures: this.sinkFailures(),
      faults: this.faults.active(),
      faultDetails: this.faults.details(),
      ...(this.learning ? { learning: this.learning.statusLine() } : {}),
    };
    this.health.publish(health);
    if (!asEvent) return;
    this.o.logger.debug({ health }, "health");
    this.emit({ type: "health", at: Date.now(), health });
  }

  /** Stops the running services, tiers in reverse, each within its deadline; safe to call more than once. */
  stop(): Promise<void> {
    return this.services.stop();
  }
}
