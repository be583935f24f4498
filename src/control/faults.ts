/**
 * `sink:<name>`: that sink could not start (src/service/registry.ts); it is retried or left off.
 * `disk`: the database (or a clip) cannot be written — full disk, I/O error (src/sinks/sqlite/disk-monitor.ts).
 */
export type FaultSource = "capture" | "broker" | "model" | "disk" | `sink:${string}`;
export type FaultListener = (source: FaultSource, active: boolean) => void;

/**
 * Faults one part of the daemon knows about and another shows (the MQTT sink knows the broker is away, the
 * fault LED shows it, the health snapshot lists it). Created by the composition root and handed to the sink
 * factories. A fault may carry a one-line detail (arecord's message, the database path and error) for health.
 */
export class FaultBoard {
  readonly #active = new Set<FaultSource>();
  readonly #details = new Map<FaultSource, string>();
  readonly #listeners = new Set<FaultListener>();

  /** Listeners hear only changes of `active`; a new `detail` of an active fault just replaces the old one. */
  set(source: FaultSource, active: boolean, detail?: string): void {
    if (active && detail !== undefined) this.#details.set(source, detail);
    if (!active) this.#details.delete(source);
    if (this.#active.has(source) === active) return;
    if (active) this.#active.add(source);
    else this.#active.delete(source);
    for (const listener of this.#listeners) listener(source, active);
  }

  active(): FaultSource[] {
    return [...this.#active];
  }

  /** The details of the active faults that have one. */
  details(): Record<string, string> {
    return Object.fromEntries(this.#details);
  }

  /** Calls the listener at once for every active fault, then on every change. Returns an unsubscribe. */
  subscribe(listener: FaultListener): () => void {
    for (const source of this.#active) listener(source, true);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
