import type { BabymonEvent } from "../events.js";
import type { Sink } from "./sink.js";

export interface QueuedSinkOptions {
  /** Events waiting beyond this are dropped: per-window and health events first, then the oldest. */
  capacity?: number;
  /** Called (never awaited) when the sink throws; the event is counted as failed and skipped. */
  onError?: (error: unknown, event: BabymonEvent) => void;
  /** Called with each event once the sink has handled it (or failed to), in order: feeds the sinks `after` it. */
  handOn?: (event: BabymonEvent) => void;
}

export interface QueuedSinkStats {
  queued: number;
  handled: number;
  failed: number;
  dropped: number;
}

const LOW_PRIORITY: ReadonlySet<BabymonEvent["type"]> = new Set(["window", "health"]);

/**
 * Puts one sink behind its own bounded queue: `enqueue` never blocks and never throws, so a slow, failing or
 * hung sink cannot stall the pipeline or the other sinks. Events are delivered in order, one at a time.
 */
export class QueuedSink {
  readonly name: string;
  private readonly queue: BabymonEvent[] = [];
  private readonly capacity: number;
  private running = false;
  private draining: Promise<void> = Promise.resolve();
  private readonly stats: QueuedSinkStats = { queued: 0, handled: 0, failed: 0, dropped: 0 };
  private readonly onError: (error: unknown, event: BabymonEvent) => void;
  private readonly handOn: (event: BabymonEvent) => void;
  private closed = false;

  constructor(
    readonly sink: Sink,
    options: QueuedSinkOptions = {},
  ) {
    this.name = sink.name;
    this.capacity = options.capacity ?? 1000;
    this.onError = options.onError ?? (() => {});
    this.handOn = options.handOn ?? (() => {});
  }

  start(): Promise<void> {
    return this.sink.start();
  }

  /** Takes one event; ignored once stop() has begun. */
  enqueue(event: BabymonEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.capacity) {
      const i = this.queue.findIndex((e) => LOW_PRIORITY.has(e.type));
      if (LOW_PRIORITY.has(event.type) && i < 0) {
        this.stats.dropped++;
        return;
      }
      this.queue.splice(Math.max(i, 0), 1);
      this.stats.dropped++;
    }
    this.queue.push(event);
    this.stats.queued = this.queue.length;
    if (!this.running) {
      this.running = true;
      this.draining = this.drain();
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const event = this.queue.shift()!;
      this.stats.queued = this.queue.length;
      try {
        await this.sink.handle(event);
        this.stats.handled++;
      } catch (error) {
        this.stats.failed++;
        try {
          this.onError(error, event);
        } catch {
          // an error reporter that throws must not stop delivery either
        }
      }
      try {
        this.handOn(event);
      } catch {
        // nor a follower that throws
      }
    }
    this.running = false;
  }

  /** Hands a chunk of audio to the sink at once (not queued: it only copies); a throw counts as a failure. */
  audio(samples: Float32Array): void {
    if (this.closed || !this.sink.audio) return;
    try {
      this.sink.audio(samples);
    } catch {
      this.stats.failed++;
    }
  }

  getStats(): QueuedSinkStats {
    return { ...this.stats, queued: this.queue.length };
  }

  /** Resolves when everything queued so far has been handled, or after `timeoutMs`. */
  async flush(timeoutMs = 5000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const done = (async () => {
      while (this.running) await this.draining;
      return true as const;
    })();
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Takes no more events, delivers what is queued (up to `timeoutMs`), then stops the sink. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    await this.flush(timeoutMs);
    await this.sink.stop();
  }
}
