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

/** Signed 16-bit little-endian PCM (any chunking, odd bytes carried over) → floats. */
export class S16Decoder {
  private carry: number | null = null;

  decode(chunk: Buffer): Float32Array {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([Buffer.from([this.carry]), chunk]);
      this.carry = null;
    }
    const n = buf.length >> 1;
    if (buf.length & 1) this.carry = buf[buf.length - 1];
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2) / 32768;
    return out;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
