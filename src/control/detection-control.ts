/**
 * The small typed control surface through which the outside (MQTT commands, later perhaps a CLI) changes
 * what the listening pipeline does: detection on/off and sensitivity. The pipeline subscribes with
 * `onChange` and applies the settings; the settings persist across restarts through a SettingsStore.
 */
export interface DetectionSettings {
  /** false: windows are still analysed (level, health) but no cry episode is raised. */
  enabled: boolean;
  /** 0..1, higher = more sensitive; 0.5 means the configured thresholds unchanged. */
  sensitivity: number;
}

export type DetectionChangeListener = (settings: DetectionSettings, source: string) => void;

export interface DetectionControl {
  get(): DetectionSettings;
  setEnabled(enabled: boolean, source: string): void;
  setSensitivity(sensitivity: number, source: string): void;
  /** Returns a function that removes the listener. */
  onChange(listener: DetectionChangeListener): () => void;
}

/** Key/value persistence for small daemon settings (implemented over the SQLite database). */
export interface SettingsStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export const DEFAULT_DETECTION_SETTINGS: DetectionSettings = { enabled: true, sensitivity: 0.5 };

const ENABLED_KEY = "detection.enabled";
const SENSITIVITY_KEY = "detection.sensitivity";

export function validateSensitivity(value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`Expected \`sensitivity\` to be a number between 0 and 1, got ${value}`);
  }
  return value;
}

/**
 * Maps a sensitivity (0..1) onto a cry-probability threshold: 0.5 keeps the configured threshold, 1 halves
 * it, 0 moves it half-way to 1. Monotonic, so a more sensitive setting never raises fewer episodes.
 */
export function thresholdForSensitivity(baseThreshold: number, sensitivity: number): number {
  const s = validateSensitivity(sensitivity);
  if (s >= 0.5) return baseThreshold * (1 - (s - 0.5));
  return baseThreshold + (1 - baseThreshold) * (0.5 - s);
}

/** A DetectionControl whose settings survive restarts (when given a store). */
export class PersistentDetectionControl implements DetectionControl {
  readonly #store: SettingsStore | undefined;
  readonly #listeners = new Set<DetectionChangeListener>();
  #settings: DetectionSettings;

  constructor(store?: SettingsStore, defaults: DetectionSettings = DEFAULT_DETECTION_SETTINGS) {
    this.#store = store;
    const enabled = store?.get(ENABLED_KEY);
    const sensitivity = store?.get(SENSITIVITY_KEY);
    const parsedSensitivity = sensitivity === undefined ? Number.NaN : Number(sensitivity);
    this.#settings = {
      enabled: enabled === undefined ? defaults.enabled : enabled === "true",
      sensitivity:
        Number.isFinite(parsedSensitivity) && parsedSensitivity >= 0 && parsedSensitivity <= 1
          ? parsedSensitivity
          : defaults.sensitivity,
    };
  }

  get(): DetectionSettings {
    return { ...this.#settings };
  }

  setEnabled(enabled: boolean, source: string): void {
    if (typeof enabled !== "boolean")
      throw new TypeError(`Expected \`enabled\` to be a boolean, got ${enabled}`);
    if (enabled !== this.#settings.enabled) {
      this.#settings = { ...this.#settings, enabled };
      this.#store?.set(ENABLED_KEY, String(enabled));
    }
    this.#emit(source);
  }

  setSensitivity(sensitivity: number, source: string): void {
    validateSensitivity(sensitivity);
    if (sensitivity !== this.#settings.sensitivity) {
      this.#settings = { ...this.#settings, sensitivity };
      this.#store?.set(SENSITIVITY_KEY, String(sensitivity));
    }
    this.#emit(source);
  }

  onChange(listener: DetectionChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(source: string): void {
    const snapshot = this.get();
    for (const listener of this.#listeners) listener(snapshot, source);
  }
}
