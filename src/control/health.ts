import type { HealthSnapshot } from "../events.js";

export type HealthListener = (health: HealthSnapshot) => void;

/**
 * The daemon's health as a value: the composition root publishes a snapshot (when it starts listening, on every
 * health tick, when a fault comes or goes) and whoever shows health reads the latest or subscribes. Nobody asks the
 * pipeline: before it listens there is simply no snapshot yet (null).
 */
export class HealthState {
  #latest: HealthSnapshot | null = null;
  readonly #listeners = new Set<HealthListener>();

  get latest(): HealthSnapshot | null {
    return this.#latest;
  }

  publish(health: HealthSnapshot): void {
    this.#latest = health;
    for (const listener of this.#listeners) {
      try {
        listener(health);
      } catch {
        // a listener that throws must not keep the others (or the publisher) from going on
      }
    }
  }

  /** Calls the listener on every publish. Returns an unsubscribe. */
  subscribe(listener: HealthListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
