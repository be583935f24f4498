/** A long-lived part of the daemon built by the composition root (src/app.ts); stopped in reverse order. */
export interface Service {
  readonly name: string;
  /** On failure, releases what it took: a non-critical service is started again later (ServiceRegistry). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A start failure that retrying cannot fix: the configuration asks for something this machine will not do while
 * the daemon runs (a pin the chip does not have, a privileged port). The service is left off, its fault stays
 * shown, until the configuration is fixed and the daemon restarted.
 */
export class PermanentStartError extends Error {
  override name = "PermanentStartError";
}
