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
