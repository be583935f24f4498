import type { DetectionControl } from "../control/detection-control.js";
import type { FaultBoard } from "../control/faults.js";
import type { HealthState } from "../control/health.js";
import type { BabymonEvent, CaptureStatus, EpisodeInfo } from "../events.js";
import type { CurrentEpisode, LivePoint, NamedClass, WebStatus } from "./types.js";

/** The live graph's span: the last 5 minutes. */
export const LIVE_SPAN_MS = 5 * 60_000;

export interface LiveStateOptions {
  control: DetectionControl;
  health: HealthState;
  faults: FaultBoard;
  /** YAMNet's display names by class index */
  classNames: readonly string[];
  mqttEnabled: boolean;
  listen: boolean;
  version: string;
  now?: () => number;
}

function currentEpisode(e: EpisodeInfo, early: boolean): CurrentEpisode {
  return {
    id: e.id,
    startMs: e.startMs,
    reason: e.reason,
    early,
    confidence: e.confidence,
    peak: e.peak,
    levelDbfs: e.levelDbfs,
  };
}

/**
 * What the page shows "now", kept from the events the web sink receives (behind its own queue, off the audio
 * path): the last 5 minutes of windows, the open episode, the last window's classes, the capture status.
 */
export class LiveState {
  readonly #points: LivePoint[] = [];
  #episode: CurrentEpisode | null = null;
  #lastClasses: NamedClass[] = [];
  #capture: CaptureStatus | null = null;
  /** inference ms per window, smoothed like the pipeline's own figure (the health snapshot is only periodic) */
  #inferenceMs = 0;
  /** windows seen, and since when: live figures between the periodic health snapshots */
  #processed = 0;
  readonly #startedMs: number;
  readonly #now: () => number;

  constructor(private readonly o: LiveStateOptions) {
    this.#now = o.now ?? Date.now;
    this.#startedMs = this.#now();
  }

  /** Applies one event; returns the live point it added (a window), else null. */
  apply(event: BabymonEvent): LivePoint | null {
    switch (event.type) {
      case "window": {
        const point = { atMs: event.at, levelDbfs: event.levelDbfs, cry: event.cry };
        this.#processed++;
        this.#points.push(point);
        const oldest = event.at - LIVE_SPAN_MS;
        let drop = 0;
        while (drop < this.#points.length && this.#points[drop].atMs < oldest) drop++;
        if (drop > 0) this.#points.splice(0, drop);
        const ms = event.inferenceMs;
        if (ms !== undefined)
          this.#inferenceMs = this.#inferenceMs === 0 ? ms : this.#inferenceMs * 0.9 + ms * 0.1;
        this.#lastClasses = (event.topClasses ?? []).map((c) => ({
          name: this.o.classNames[c.index] ?? `class ${c.index}`,
          score: c.score,
        }));
        return point;
      }
      case "episode_start":
        this.#episode = currentEpisode(event.episode, true);
        return null;
      case "episode_update":
        this.#episode = currentEpisode(event.episode, false);
        return null;
      case "episode_end":
        this.#episode = null;
        return null;
      case "capture":
        this.#capture = event.status;
        return null;
      default:
        return null;
    }
  }

  points(): LivePoint[] {
    return [...this.#points];
  }

  get episode(): CurrentEpisode | null {
    return this.#episode;
  }

  status(): WebStatus {
    const health = this.o.health.latest;
    const faults = this.o.faults.active();
    const last = this.#points.at(-1);
    return {
      version: this.o.version,
      nowMs: this.#now(),
      crying: this.#episode !== null,
      episode: this.#episode,
      detection: this.o.control.get(),
      capture: this.#capture ?? health?.capture ?? "offline",
      inferenceMsPerWindow:
        Math.round((this.#inferenceMs || (health?.inferenceMsPerWindow ?? 0)) * 100) / 100,
      droppedWindows: health?.droppedWindows ?? 0,
      processedWindows: Math.max(this.#processed, health?.processedWindows ?? 0),
      uptimeSec: Math.round((this.#now() - this.#startedMs) / 1000),
      modelMissing: health?.modelMissing ?? false,
      mqtt: {
        enabled: this.o.mqttEnabled,
        connected: this.o.mqttEnabled && !faults.includes("broker") && !faults.includes("sink:mqtt"),
      },
      faults,
      lastWindow: last ? { ...last, topClasses: this.#lastClasses } : null,
      listen: this.o.listen,
    };
  }
}
