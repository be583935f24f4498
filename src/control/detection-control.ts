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
/** JSON EnabledChange: when and by whom detection was last switched on or off. */
const ENABLED_CHANGE_KEY = "detection.enabled.change";

/** The last switch of detection on or off. */
export interface EnabledChange {
  enabled: boolean;
  atMs: number;
  /** Who switched it, e.g. "mqtt". */
  source: string;
}

function parseEnabledChange(text: string | undefined): EnabledChange | null {
  if (text === undefined) return null;
  try {
    const v = JSON.parse(text) as Partial<EnabledChange>;
    return typeof v.enabled === "boolean" && Number.isFinite(v.atMs) && typeof v.source === "string"
      ? { enabled: v.enabled, atMs: v.atMs as number, source: v.source }
      : null;
  } catch {
    return null;
  }
}

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
  readonly #now: () => number;
  #settings: DetectionSettings;
  #lastChange: EnabledChange | null;

  constructor(
    store?: SettingsStore,
    defaults: DetectionSettings = DEFAULT_DETECTION_SETTINGS,
    now: () => number = Date.now,
  ) {
    this.#store = store;
    this.#now = now;
    this.#lastChange = parseEnabledChange(store?.get(ENABLED_CHANGE_KEY));
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

  /** When and by whom detection was last switched (null: never, or before this was recorded). */
  lastEnabledChange(): EnabledChange | null {
    return this.#lastChange && { ...this.#lastChange };
  }

  setEnabled(enabled: boolean, source: string): void {
    if (typeof enabled !== "boolean")
      throw new TypeError(`Expected \`enabled\` to be a boolean, got ${enabled}`);
    if (enabled !== this.#settings.enabled) {
      this.#settings = { ...this.#settings, enabled };
      this.#store?.set(ENABLED_KEY, String(enabled));
      this.#lastChange = { enabled, atMs: this.#now(), source };
      this.#store?.set(ENABLED_CHANGE_KEY, JSON.stringify(this.#lastChange));
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

/**
 * The start-up warning when detection was switched off (it stays off across restarts): since when and by whom,
 * so a parent who wonders why no cry was reported sees it. Null when detection is on.
 */
export function detectionOffWarning(
  settings: DetectionSettings,
  change: EnabledChange | null,
  nowMs: number,
): string | null {
  if (settings.enabled) return null;
  const since =
    change && !change.enabled
      ? `since ${new Date(change.atMs).toISOString()} (${agoText(nowMs - change.atMs)} ago, switched off by ${change.source})`
      : "since before babymon recorded when";
  return (
    `detection is off ${since}, and stays off across restarts: no cry is reported until it is switched on ` +
    'again (Home Assistant\'s "Cry detection" switch, or ON on the MQTT topic <baseTopic>/<deviceId>/set/detection)'
  );
}

function agoText(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}
