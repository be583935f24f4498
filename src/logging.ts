import pino, { type Logger } from "pino";
import type { LoggingConfig } from "./config/schema.js";

export type { Logger };

/** JSON logs (pino). The daemon logs to stdout; commands whose stdout is data (`detect`) log to stderr. */
export function createLogger(config: Pick<LoggingConfig, "level">, destination: 1 | 2 = 1): Logger {
  return pino(
    { level: config.level, base: { name: "babymon" } },
    pino.destination({ fd: destination, sync: true }),
  );
}

/** A URL with its password hidden (`scheme://user:***@host`), for logs and descriptions. */
export function redactUrl(url: string): string {
  // up to the last @ of the authority, as URL parsers do: an unencoded @ in the password is hidden too
  return url.replace(/\/\/([^:/@]+):[^/]*@/, "//$1:***@");
}

/**
 * Lets the first occurrence of a repeated log line through and then at most one per `everyMs` per key, with the
 * number held back since the last one (a sink failing on every event must not write 2 lines a second).
 */
export class RepeatLimiter {
  readonly #last = new Map<string, { atMs: number; held: number }>();

  constructor(
    private readonly everyMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** null: hold this one back; otherwise log it, with `repeats` lines held back before it (0 the first time). */
  pass(key: string): { repeats: number } | null {
    const now = this.now();
    const last = this.#last.get(key);
    if (last && now - last.atMs < this.everyMs) {
      last.held++;
      return null;
    }
    this.#last.set(key, { atMs: now, held: 0 });
    return { repeats: last?.held ?? 0 };
  }
}
