import type { BabymonEvent } from "../events.js";

/** A consumer of pipeline events. The pipeline never awaits a sink: each runs behind its own queue. */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  /** Handles one event; may be slow or throw — failures are counted, never propagated to the pipeline. */
  handle(event: BabymonEvent): Promise<void>;
  /** Flushes what is pending and releases resources. */
  stop(): Promise<void>;
}

/** A long-lived part of the daemon built by the composition root (src/app.ts); stopped in reverse order. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
