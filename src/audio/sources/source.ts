import type { CaptureStatus } from "../../events.js";

export interface SourceHandlers {
  /** 16 kHz mono samples in [-1, 1]. A lossless source awaits the returned promise (backpressure). */
  data(samples: Float32Array): void | Promise<void>;
  status(status: CaptureStatus, detail: string | null): void;
}

/** Where audio comes from: microphone, file, stdin, network stream. Every source delivers 16 kHz mono. */
export interface AudioSource {
  readonly description: string;
  /** The source waits for the consumer (fast file replay, stdin): windows are never dropped. */
  readonly lossless: boolean;
  /** Time comes from the sample position (a replay), not from the wall clock. */
  readonly replayClock: boolean;
  /** Capture-process restarts so far. */
  readonly restarts: number;
  status(): CaptureStatus;
  start(handlers: SourceHandlers): Promise<void>;
  /** Resolves when the input has ended (file, stdin); live sources end only when stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}
