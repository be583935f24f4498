/** `sink:<name>`: that sink could not start (src/service/registry.ts); it is retried or left off. */
export type FaultSource = "capture" | "broker" | "model" | `sink:${string}`;
export type FaultListener = (source: FaultSource, active: boolean) => void;

/**
 * Faults one part of the daemon knows about and another shows (the MQTT sink knows the broker is away, the
 * fault LED shows it, the health snapshot lists it). Created by the composition root and handed to the sink
 * factories.
 */
export class FaultBoard {
  readonly #active = new Set<FaultSource>();
  readonly #listeners = new Set<FaultListener>();

  set(source: FaultSource, active: boolean): void {
    if (this.#active.has(source) === active) return;
    if (active) this.#active.add(source);
    else this.#active.delete(source);
    for (const listener of this.#listeners) listener(source, active);
  }

  active(): FaultSource[] {
    return [...this.#active];
  }

  /** Calls the listener at once for every active fault, then on every change. Returns an unsubscribe. */
  subscribe(listener: FaultListener): () => void {
    for (const source of this.#active) listener(source, true);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
