import { execFile } from "node:child_process";
import type { BabymonEvent } from "../events.js";
import type { Logger } from "../logging.js";
import type { Sink } from "../sinks/sink.js";

/**
 * sd_notify(3) for a Node daemon. Node cannot send on a unix datagram socket, so each message goes through
 * systemd's own `systemd-notify` tool, which runs inside the unit's cgroup (accepted with NotifyAccess=all)
 * and, since systemd 246, waits with BARRIER=1 until PID 1 has read the message, so it is not lost when the
 * helper exits quickly. A message every few seconds at most: the process spawn costs ~10 ms.
 * Without NOTIFY_SOCKET (not started by systemd) everything here is a no-op.
 */
export class SystemdNotifier {
  readonly #socket: string | undefined;
  readonly #watchdogUsec: number | null;

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly command = "systemd-notify",
  ) {
    this.#socket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pidMatches = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    this.#watchdogUsec = Number.isFinite(usec) && usec > 0 && pidMatches ? usec : null;
  }

  get enabled(): boolean {
    return this.#socket !== undefined;
  }

  /** Half of WatchdogSec= (as sd_watchdog_enabled(3) advises), or null when no watchdog is asked for. */
  get watchdogIntervalMs(): number | null {
    return this.#socket && this.#watchdogUsec ? this.#watchdogUsec / 2000 : null;
  }

  notify(...assignments: string[]): Promise<boolean> {
    if (!this.#socket) return Promise.resolve(false);
    return new Promise((resolve) => {
      execFile(
        this.command,
        [`--pid=${process.pid}`, ...assignments],
        { env: { ...this.env, NOTIFY_SOCKET: this.#socket }, timeout: 5000 },
        (error) => {
          if (error) this.log.warn({ err: error.message, message: assignments }, "systemd-notify failed");
          resolve(!error);
        },
      );
    });
  }

  ready(status: string): Promise<boolean> {
    return this.notify("READY=1", `STATUS=${status}`);
  }

  stopping(): Promise<boolean> {
    return this.notify("STOPPING=1", "STATUS=stopping");
  }

  watchdog(): Promise<boolean> {
    return this.notify("WATCHDOG=1");
  }
}

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
export const systemdWatchdogFactory = (ctx: { logger: Logger }): Sink | null => {
  const log = ctx.logger.child({ sink: "systemd-watchdog" });
  const notifier = new SystemdNotifier(log);
  return notifier.watchdogIntervalMs === null ? null : new WatchdogSink(notifier, log);
};
