import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createAudioSource } from "./audio/sources/index.js";
import type { AudioSource } from "./audio/sources/source.js";
import { resolveDataDir } from "./config/load.js";
import type { Config, DetectionConfig, InferenceConfig } from "./config/schema.js";
import { type DetectionControl, PersistentDetectionControl } from "./control/detection-control.js";
import { FaultBoard } from "./control/faults.js";
import { ClipRecorder } from "./detection/clips.js";
import { type ResolvedDetection, resolveDetection } from "./detection/episodes.js";
import { ListeningPipeline } from "./detection/listening-pipeline.js";
import { PATCH_WINDOW_SAMPLES } from "./dsp/frontend-params.js";
import type { BabymonEvent, HealthSnapshot } from "./events.js";
import { createAnalyzer, findHeadsDirs } from "./inference/analyzer.js";
import type { Analyzer } from "./inference/types.js";
import type { Logger } from "./logging.js";
import { systemdWatchdogFactory } from "./service/systemd-notify.js";
import { gpioSinkFactory } from "./sinks/gpio/factory.js";
import { mqttSinkFactory } from "./sinks/mqtt/factory.js";
import { QueuedSink } from "./sinks/queued-sink.js";
import type { Service, Sink } from "./sinks/sink.js";
import { type Db, openDatabase, SqliteSettingsStore } from "./sinks/sqlite/database.js";
import { SqliteSink } from "./sinks/sqlite/sqlite-sink.js";
import { PROJECT_ROOT } from "./version.js";

/** What a sink factory may use. Each factory takes only its own config slice from `config`. */
export interface SinkContext {
  config: Config;
  logger: Logger;
  dataDir: string;
  /** The daemon's SQLite database (opened once; null when storage is disabled). */
  database: Db | null;
  control: DetectionControl;
  health: () => HealthSnapshot;
  /** Where each explicitly set config key came from (LoadedConfig.origins), e.g. to warn about secrets. */
  configOrigins: Record<string, string>;
  /** Faults one sink knows and another shows (MQTT broker away → fault LED). */
  faults: FaultBoard;
}

/** Builds one sink from its config slice, or null when that sink is turned off. */
export type SinkFactory = (ctx: SinkContext) => Sink | null | Promise<Sink | null>;

export const sqliteSinkFactory: SinkFactory = ({ config, database, logger }) =>
  database
    ? new SqliteSink(database, {
        config: config.storage,
        logger: logger.child({ sink: "sqlite" }),
        removeClip: ClipRecorder.removeFile,
      })
    : null;

/** Every sink of the daemon, in start order. Add a sink: write its factory and append it here. */
export const SINK_FACTORIES: SinkFactory[] = [
  sqliteSinkFactory,
  mqttSinkFactory,
  gpioSinkFactory,
  systemdWatchdogFactory,
];

export interface AppOptions {
  config: Config;
  logger: Logger;
  /** Overrides for tests and `detect`: a ready source, analyzer or extra sinks. */
  source?: AudioSource;
  analyzer?: Analyzer | null;
  sinkFactories?: SinkFactory[];
  newEpisodeId?: () => string;
  configOrigins?: Record<string, string>;
}

export function databasePath(config: Config, dataDir: string): string {
  return config.storage.path ?? join(dataDir, "babymon.db");
}

/** The heads folder for `auto`/`heads`: the configured one, else the newest heads folder under models/. */
export function resolveHeadsDir(inference: InferenceConfig): string | null {
  if (inference.scoreSource === "yamnet") return null;
  if (inference.headsDir) return inference.headsDir;
  const found = findHeadsDirs()[0] ?? null;
  if (!found && inference.scoreSource === "heads") {
    throw new Error(
      `Expected trained heads in \`inference.headsDir\` or under ${join(PROJECT_ROOT, "models")} for \`inference.scoreSource: heads\`, found none (run \`npm run train-export\`)`,
    );
  }
  return found;
}

/**
 * The detection settings for the loaded models: per-score defaults for what the owner left unset
 * (`resolveDetection`). Trained heads may ship their own operating points in their manifest (validated when the
 * heads load, src/inference/heads.ts):
 * `thresholds.episode` (the episode threshold for this export, calibrated on a held-out nursery mix, see
 * scripts/calibrate-episode.ts --cross-fit --write) replaces the heads default, as do `thresholds.onsetN` (unless
 * below the configured `onsetK`) and `thresholds.onsetStrong`, chosen with it; `thresholds.unsure` replaces
 * `detection.unsureBelow`, `thresholds.yamnetSupport` `detection.yamnetSupport`. Values the owner set explicitly
 * (file, env, flag) always win.
 */
export function detectionForModels(
  detection: DetectionConfig,
  origins: Record<string, string>,
  analyzer: Analyzer | null,
): ResolvedDetection {
  const resolved = resolveDetection(detection, analyzer?.models.heads ? "heads" : "yamnet");
  const point = analyzer?.models.heads ? analyzer.headsOperatingPoint : null;
  if (!point) return resolved;
  if (!origins["detection.threshold"] && point.episode !== undefined) resolved.threshold = point.episode;
  if (!origins["detection.onsetN"] && point.onsetN !== undefined && point.onsetN >= resolved.onsetK)
    resolved.onsetN = point.onsetN;
  if (!origins["detection.onsetStrong"] && point.onsetStrong !== undefined)
    resolved.onsetStrong = point.onsetStrong;
  if (!origins["detection.unsureBelow"] && point.unsure !== undefined) resolved.unsureBelow = point.unsure;
  if (!origins["detection.yamnetSupport"] && point.yamnetSupport !== undefined)
    resolved.yamnetSupport = point.yamnetSupport;
  return resolved;
}

/** Loads YAMNet and (per `inference.scoreSource`) the trained heads. */
export async function loadAnalyzer(inference: InferenceConfig, logger: Logger): Promise<Analyzer> {
  const headsDir = resolveHeadsDir(inference);
  const load = (heads: string | null) =>
    createAnalyzer({
      modelDir: inference.yamnetDir ?? undefined,
      backend: inference.backend,
      heads,
      log: (line) => logger.info(line),
    });
  if (!headsDir || inference.scoreSource === "heads") return load(headsDir);
  try {
    return await load(headsDir);
  } catch (err) {
    // `auto`: unusable heads must not silence the monitor — fall back to YAMNet's own cry score
    logger.warn(
      { err: (err as Error).message, headsDir },
      "trained heads not usable; using YAMNet's cry score",
    );
    return load(null);
  }
}

function service(name: string, start: () => Promise<void>, stop: () => Promise<void>): Service {
  return { name, start, stop };
}

/**
 * The composition root: builds every service from the config (database → sinks → analyzer → pipeline), starts
 * them in that order and stops them in reverse — so stopping closes the open episode first, then flushes the
 * sinks, then closes the database.
 */
export class App {
  readonly services: Service[] = [];
  readonly sinks: QueuedSink[] = [];
  pipeline!: ListeningPipeline;
  database: Db | null = null;
  control!: DetectionControl;
  readonly faults = new FaultBoard();
  readonly dataDir: string;
  private started: Service[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly o: AppOptions) {
    this.dataDir = resolveDataDir(o.config);
  }

  emit = (event: BabymonEvent): void => {
    if (event.type === "episode_start" || event.type === "episode_update" || event.type === "episode_end") {
      const { id, reason, peak, confidence } = event.episode;
      const what = { episode_start: "cry started", episode_update: "cry reason", episode_end: "cry ended" }[
        event.type
      ];
      this.o.logger.info({ episode: id, reason, confidence, peak }, what);
    }
    for (const sink of this.sinks) sink.enqueue(event);
  };

  sinkFailures(): Record<string, number> {
    return Object.fromEntries(this.sinks.map((s) => [s.name, s.getStats().failed + s.getStats().dropped]));
  }

  /** Builds and starts everything. On failure, what was started is stopped again. */
  async start(): Promise<void> {
    const { config, logger } = this.o;
    try {
      if (config.storage.enabled) {
        const path = databasePath(config, this.dataDir);
        this.add(
          service(
            "database",
            async () => {
              this.database = openDatabase(path);
              logger.info({ path }, "database open");
            },
            async () => {
              this.database?.close();
              this.database = null;
            },
          ),
        );
        await this.startLast();
      }
      this.control = new PersistentDetectionControl(
        this.database ? new SqliteSettingsStore(this.database) : undefined,
      );

      const context: SinkContext = {
        config,
        logger,
        dataDir: this.dataDir,
        database: this.database,
        control: this.control,
        health: () => this.pipeline.health(),
        configOrigins: this.o.configOrigins ?? {},
        faults: this.faults,
      };
      for (const factory of this.o.sinkFactories ?? SINK_FACTORIES) {
        const sink = await factory(context);
        if (!sink) continue;
        const queued = new QueuedSink(sink, {
          onError: (err, event) =>
            logger.error(
              { sink: sink.name, event: event.type, err: (err as Error)?.message ?? String(err) },
              "sink failed",
            ),
        });
        this.add(
          service(
            `sink:${sink.name}`,
            async () => {
              await queued.start();
              this.sinks.push(queued);
            },
            () => queued.stop(),
          ),
        );
        await this.startLast();
      }

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
        this.add(
          service(
            "analyzer",
            // the first inference compiles the backend's kernels (~0.5 s on wasm): do it before audio arrives
            async () => void (await a.analyze([new Float32Array(PATCH_WINDOW_SAMPLES)])),
            async () => a.dispose(),
          ),
        );
        await this.startLast();
      }

      const source = this.o.source ?? createAudioSource(config.audio);
      let clips: ClipRecorder | null = null;
      if (config.storage.clips.enabled && this.database) {
        clips = new ClipRecorder(config.storage.clips, this.database, join(this.dataDir, "clips"), logger);
      }
      this.pipeline = new ListeningPipeline({
        windows: config.windows,
        inference: config.inference,
        detection: detectionForModels(config.detection, this.o.configOrigins ?? {}, analyzer),
        source,
        analyzer,
        emit: (event) => {
          clips?.onEvent(event);
          this.emit(event);
        },
        logger,
        control: this.control,
        sinkFailures: () => this.sinkFailures(),
        healthEverySec: config.logging.healthEverySec,
        newEpisodeId: this.o.newEpisodeId,
        onAudio: clips ? (s) => clips.onAudio(s) : undefined,
      });
      logger.info(
        { source: source.description, backend: analyzer?.backend, models: analyzer?.models },
        "listening",
      );
      this.add(
        service(
          "pipeline",
          () => this.pipeline.start(),
          () => this.pipeline.stop(),
        ),
      );
      await this.startLast();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private add(s: Service): void {
    this.services.push(s);
  }

  private async startLast(): Promise<void> {
    const s = this.services[this.services.length - 1];
    await s.start();
    this.started.push(s);
  }

  /** Stops the started services in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const s of [...this.started].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          this.o.logger.error({ service: s.name, err: (err as Error).message }, "stop failed");
        }
      }
      this.started = [];
    })();
    return this.stopping;
  }
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
