import type { Config } from "../config/schema.js";
import type { DetectionControl } from "../control/detection-control.js";
import type { FaultBoard } from "../control/faults.js";
import type { HealthState } from "../control/health.js";
import type { BabymonEvent } from "../events.js";
import type { Logger } from "../logging.js";
import type { Service } from "../service/service.js";
import type { Db } from "./sqlite/database.js";

/** A consumer of pipeline events. The pipeline never awaits a sink: each runs behind its own queue. */
export interface Sink extends Service {
  /**
   * A sink the daemon does not run without (SQLite: the record of every episode): if it cannot start, the daemon
   * does not start. Any other sink that fails to start is logged, shown as a fault and retried (src/app.ts).
   */
  readonly critical?: boolean;
  /**
   * The name of the sink whose handled events this one receives, in order, instead of the pipeline's: each event
   * reaches it only once that sink has handled it (the clip recorder links a clip to the episode row SQLite wrote).
   */
  readonly after?: string;
  /** Handles one event; may be slow or throw — failures are counted, never propagated to the pipeline. */
  handle(event: BabymonEvent): Promise<void>;
  /**
   * Receives every 16 kHz chunk of audio, synchronously on the audio path: it must only copy (episode clips).
   * Most sinks leave it out.
   */
  audio?(samples: Float32Array): void;
  /** Flushes what is pending and releases resources. */
  stop(): Promise<void>;
}

/** What a sink factory may use. Each factory takes only its own config slice from `config`. */
export interface SinkContext {
  config: Config;
  logger: Logger;
  dataDir: string;
  /** The daemon's SQLite database (opened once; null when storage is disabled). */
  database: Db | null;
  control: DetectionControl;
  /** The health the daemon last published (null until it listens); a sink reads it, never asks for it. */
  health: HealthState;
  /** Where each explicitly set config key came from (LoadedConfig.origins), e.g. to warn about secrets. */
  configOrigins: Record<string, string>;
  /** Faults one sink knows and another shows (MQTT broker away → fault LED). */
  faults: FaultBoard;
}

/**
 * Builds one sink from its config slice, or null when that sink is turned off. A factory only builds: whatever can
 * fail on this machine (files, ports, pins) happens in the sink's start(), where a failure is isolated and retried.
 */
export type SinkFactory = (ctx: SinkContext) => Sink | null | Promise<Sink | null>;
