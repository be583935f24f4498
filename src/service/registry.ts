import type { FaultBoard, FaultSource } from "../control/faults.js";
import type { Logger } from "../logging.js";
import { PermanentStartError, type Service } from "./service.js";

/**
 * The daemon's tiers, in start order; stop runs them in reverse, so each consumer starts before what feeds it and
 * stops after it: capture and the pipeline stop first (the open episode is closed), then the analyzer, then the
 * sinks flush, then the sinks that follow another sink (the clip recorder, after SQLite), the database last.
 */
export const TIERS = ["database", "followers", "sinks", "analyzer", "capture"] as const;
export type Tier = (typeof TIERS)[number];

/**
 * How long the services of a tier may take to stop (they stop in parallel): a service that overruns is logged by
 * name and left behind, and the next tier goes on. 8 + 2 + 8 + 4 + 2 = 24 s, under the unit's TimeoutStopSec=30
 * (systemd/babymon.service) with room for the STOPPING=1 notification, so systemd never has to SIGKILL the daemon
 * before its database is closed.
 */
export const STOP_DEADLINE_MS: Record<Tier, number> = {
  /** stop the capture process (SIGTERM, SIGKILL after 2 s), analyse the ≤ maxQueuedWindows windows queued, close the episode */
  capture: 8000,
  /** free the model's tensors: synchronous, instant */
  analyzer: 2000,
  /** flush each queue (SINK_FLUSH_MS), then MQTT delivers its outbox (≤ 3 s) and says offline (≤ 1 s) */
  sinks: 8000,
  /** flush the queue and write the last clip (≤ maxSec of 16 kHz WAV) */
  followers: 4000,
  /** close the SQLite file: synchronous */
  database: 2000,
};

/** Delay before the n-th retry of a service that failed to start: firstMs, doubling, at most maxMs. */
export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
}

/** 5 s, 10 s, 20 s, … at most every 5 min: quick for a broker that is late at boot, quiet for a missing chip. */
export const DEFAULT_RETRY: RetryPolicy = { firstMs: 5000, maxMs: 300_000 };

export interface Registration {
  service: Service;
  tier: Tier;
  /** A critical service that fails to start fails the daemon's start (capture, the analyzer, SQLite). */
  critical: boolean;
  /** The fault shown while a non-critical service is not running. */
  fault?: FaultSource;
  /** Called once the service runs (at once, or after a retry). */
  onStarted?: () => void;
}

export interface ServiceRegistryOptions {
  logger: Logger;
  faults: FaultBoard;
  retry?: RetryPolicy;
  deadlines?: Partial<Record<Tier, number>>;
}

/**
 * Starts the daemon's services one by one and stops them tier by tier in reverse, each tier within its deadline
 * (birdnet-go's service registry). A non-critical service that fails to start does not take the daemon down
 * (zigbee2mqtt's Controller): it is logged, shown as a fault and started again with backoff — or, for a
 * PermanentStartError, left off.
 */
export class ServiceRegistry {
  #running: Registration[] = [];
  readonly #retries = new Map<Registration, NodeJS.Timeout>();
  #stopping: Promise<void> | null = null;
  readonly #retry: RetryPolicy;
  readonly #deadlines: Record<Tier, number>;

  constructor(private readonly o: ServiceRegistryOptions) {
    this.#retry = o.retry ?? DEFAULT_RETRY;
    this.#deadlines = { ...STOP_DEADLINE_MS, ...o.deadlines };
  }

  /** The services running now, in the order they started. */
  get running(): readonly Service[] {
    return this.#running.map((r) => r.service);
  }

  /** Starts one service; resolves whether it runs. Throws only when a critical service fails. */
  async start(r: Registration): Promise<boolean> {
    if (this.#stopping) throw new Error(`Expected ${r.service.name} to start before the daemon stops`);
    try {
      await r.service.start();
    } catch (error) {
      if (r.critical) throw error;
      this.#failed(r, error, 1);
      return false;
    }
    this.#started(r, 1);
    return true;
  }

  #started(r: Registration, attempt: number): void {
    this.#running.push(r);
    if (r.fault) this.o.faults.set(r.fault, false);
    if (attempt > 1) this.o.logger.info({ service: r.service.name, attempt }, `${r.service.name} started`);
    r.onStarted?.();
  }

  #failed(r: Registration, error: unknown, attempt: number): void {
    const name = r.service.name;
    const why = (error as Error)?.message ?? String(error);
    if (r.fault) this.o.faults.set(r.fault, true);
    if (error instanceof PermanentStartError) {
      this.o.logger.error(
        { service: name, err: why },
        `${name} could not start: ${why}; left off (retrying cannot help) until the configuration is fixed and the daemon restarted`,
      );
      return;
    }
    const delayMs = Math.min(this.#retry.maxMs, this.#retry.firstMs * 2 ** (attempt - 1));
    const again = `retrying in ${delayMs / 1000} s`;
    if (attempt === 1) {
      this.o.logger.error(
        { service: name, err: why, retryInMs: delayMs },
        `${name} could not start: ${why}; the daemon goes on without it, ${again}`,
      );
    } else {
      this.o.logger.warn(
        { service: name, err: why, attempt, retryInMs: delayMs },
        `${name} still cannot start: ${why}; ${again}`,
      );
    }
    const timer = setTimeout(() => void this.#attempt(r, attempt + 1), delayMs);
    timer.unref();
    this.#retries.set(r, timer);
  }

  async #attempt(r: Registration, attempt: number): Promise<void> {
    this.#retries.delete(r);
    if (this.#stopping) return;
    try {
      await r.service.start();
    } catch (error) {
      if (!this.#stopping) this.#failed(r, error, attempt);
      return;
    }
    // it came up while the daemon was stopping: stop it at once rather than leave it running
    if (this.#stopping) await this.#stopWithin(r.service, this.#deadlines[r.tier]);
    else this.#started(r, attempt);
  }

  /** Stops the running services, tiers in reverse, each service within its tier's deadline. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const timer of this.#retries.values()) clearTimeout(timer);
      this.#retries.clear();
      for (const tier of [...TIERS].reverse()) {
        const group = this.#running.filter((r) => r.tier === tier);
        await Promise.all(group.map((r) => this.#stopWithin(r.service, this.#deadlines[tier])));
      }
      this.#running = [];
    })();
    return this.#stopping;
  }

  async #stopWithin(service: Service, deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stopping = Promise.resolve().then(() => service.stop());
    const overran = new Promise<"overran">((resolve) => {
      timer = setTimeout(() => resolve("overran"), deadlineMs);
    });
    const outcome = await Promise.race([stopping.then(() => "stopped" as const), overran]).catch(
      (error: unknown) => error,
    );
    clearTimeout(timer);
    if (outcome === "overran") {
      // still running in the background: whatever it does later must not surface as an unhandled rejection
      stopping.catch(() => {});
      this.o.logger.error(
        { service: service.name, deadlineMs },
        `${service.name} did not stop within ${deadlineMs} ms; going on without it`,
      );
    } else if (outcome !== "stopped") {
      this.o.logger.error(
        { service: service.name, err: (outcome as Error)?.message ?? String(outcome) },
        `${service.name} failed to stop`,
      );
    }
  }
}
