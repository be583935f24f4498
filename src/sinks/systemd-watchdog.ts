import type { BabymonEvent } from "../events.js";
import type { Logger } from "../logging.js";
import { SystemdNotifier } from "../service/systemd-notify.js";
import type { Sink, SinkFactory } from "./sink.js";

/**
 * Pings the systemd watchdog only while audio windows keep arriving, so a stalled pipeline (no windows for a
 * whole WatchdogSec=) is killed and restarted by systemd (Restart=on-failure). It is a sink so it sees exactly
 * what the other sinks see, behind its own queue.
 */
export class WatchdogSink implements Sink {
  readonly name = "systemd-watchdog";
  #timer: NodeJS.Timeout | null = null;
  #windowsSincePing = 0;
  pings = 0;

  constructor(
    private readonly notifier: SystemdNotifier,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const interval = this.notifier.watchdogIntervalMs;
    if (interval === null) return;
    this.log.info({ intervalMs: interval }, "systemd watchdog: pinging while windows are processed");
    this.#timer = setInterval(() => {
      if (this.#windowsSincePing === 0) {
        this.log.warn("systemd watchdog: no audio window since the last ping; not pinging");
        return;
      }
      this.#windowsSincePing = 0;
      this.pings++;
      void this.notifier.watchdog();
    }, interval);
    this.#timer.unref();
  }

  async handle(event: BabymonEvent): Promise<void> {
    if (event.type === "window") this.#windowsSincePing++;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** The watchdog sink, only when systemd asked for a watchdog (WatchdogSec= in the unit). */
export const systemdWatchdogFactory: SinkFactory = (ctx) => {
  const log = ctx.logger.child({ sink: "systemd-watchdog" });
  const notifier = new SystemdNotifier(log);
  return notifier.watchdogIntervalMs === null ? null : new WatchdogSink(notifier, log);
};
