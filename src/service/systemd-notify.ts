import { execFile } from "node:child_process";
import type { Logger } from "../logging.js";

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
