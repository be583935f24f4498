import type { BabymonEvent, EpisodeInfo, HealthSnapshot, ReasonOrUnsure } from "../../events.js";
import { round } from "../../util/round.js";

/** What the retained `state` topic carries. */
export interface StatePayload {
  crying: boolean;
  /** the current episode's reason while crying, afterwards the last episode's final reason */
  reason: ReasonOrUnsure | null;
  confidence: number | null;
  episode_id: string | null;
  episode_start: string | null;
  /** end and duration of the last episode that ended (kept while the next one runs; null before the first end) */
  last_cry_end: string | null;
  last_cry_duration_sec: number | null;
  level_dbfs: number | null;
  detection_enabled: boolean;
  /** 0..1 */
  sensitivity: number;
}

/** The state before the first episode: nothing heard yet. */
export function initialState(detection: { enabled: boolean; sensitivity: number }): StatePayload {
  return {
    crying: false,
    reason: null,
    confidence: null,
    episode_id: null,
    episode_start: null,
    last_cry_end: null,
    last_cry_duration_sec: null,
    level_dbfs: null,
    detection_enabled: detection.enabled,
    sensitivity: detection.sensitivity,
  };
}

/** The state after an episode message; an end also becomes the "last cry" (kept while the next one runs). */
export function stateAfterEpisode(
  state: StatePayload,
  type: "episode_start" | "episode_update" | "episode_end",
  payload: EpisodeEventPayload,
): StatePayload {
  return {
    ...state,
    crying: type !== "episode_end",
    reason: payload.reason,
    confidence: payload.confidence,
    episode_id: payload.episode_id,
    episode_start: payload.start,
    ...(type === "episode_end"
      ? { last_cry_end: payload.end, last_cry_duration_sec: payload.duration_sec }
      : {}),
  };
}

export type EpisodeEventType = "start" | "update" | "end";

/** One message on the `event` topic; `id` is unique per message so subscribers can drop a QoS 1 re-send. */
export interface EpisodeEventPayload {
  id: string;
  type: EpisodeEventType;
  device_id: string;
  episode_id: string;
  at: string;
  start: string;
  start_sec: number;
  end: string | null;
  end_sec: number | null;
  duration_sec: number | null;
  reason: ReasonOrUnsure;
  provisional: boolean;
  confidence: number;
  probabilities: Record<string, number> | null;
  peak: number;
  level_dbfs: number;
  models: { yamnet: string; heads: string | null };
  /** only on the `end` published at the next start for an episode the daemon was killed during */
  interrupted?: true;
}

/** The HA `event` entity's message: `event_type` plus attributes, once per episode at its end. */
export interface CryEventPayload {
  event_type: ReasonOrUnsure;
  id: string;
  episode_id: string;
  confidence: number;
  probabilities: Record<string, number> | null;
  duration_sec: number;
  start: string;
  end: string;
}

export interface HealthPayload {
  capture: HealthSnapshot["capture"];
  inference_ms_per_window: number;
  dropped_windows: number;
  processed_windows: number;
  uptime_sec: number;
  /** when the daemon started (ISO 8601, whole seconds): HA's "Started" timestamp sensor */
  started: string;
  detection_enabled: boolean;
  model_missing: boolean;
  sink_failures: Record<string, number>;
  /** the fault board: e.g. "broker", "model", "disk", "sink:gpio" (a sink that could not start) */
  faults: string[];
  /** HA's "Problem" binary sensor: capture not online, the model missing, or any fault but "broker" */
  problem: boolean;
  /** what an active fault is about (arecord's message, the database that cannot be written) */
  fault_details: Record<string, string>;
  learning?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

type EpisodeEvent = Extract<BabymonEvent, { type: "episode_start" | "episode_update" | "episode_end" }>;

export function episodeEventPayload(event: EpisodeEvent, deviceId: string): EpisodeEventPayload {
  const type: EpisodeEventType =
    event.type === "episode_start" ? "start" : event.type === "episode_update" ? "update" : "end";
  const ep: EpisodeInfo = event.episode;
  const end = event.type === "episode_end" ? event.episode : null;
  return {
    id: `${ep.id}:${type}`,
    type,
    device_id: deviceId,
    episode_id: ep.id,
    at: iso(event.at),
    start: iso(ep.startMs),
    start_sec: round(ep.startSec, 3),
    end: end ? iso(end.endMs) : null,
    end_sec: end ? round(end.endSec, 3) : null,
    duration_sec: end ? round(end.durationSec, 3) : null,
    reason: ep.reason,
    provisional: type !== "end",
    confidence: round(ep.confidence),
    probabilities: ep.probabilities
      ? Object.fromEntries(Object.entries(ep.probabilities).map(([k, v]) => [k, round(v)]))
      : null,
    peak: round(ep.peak),
    level_dbfs: round(ep.levelDbfs, 1),
    models: { yamnet: ep.models.yamnet, heads: ep.models.heads },
    ...(end?.interrupted ? { interrupted: true as const } : {}),
  };
}

export function cryEventPayload(end: EpisodeEventPayload): CryEventPayload {
  return {
    event_type: end.reason,
    id: `${end.episode_id}:cry`,
    episode_id: end.episode_id,
    confidence: end.confidence,
    probabilities: end.probabilities,
    duration_sec: end.duration_sec ?? 0,
    start: end.start,
    end: end.end ?? end.at,
  };
}

/**
 * True when the daemon cannot do its job. "broker" is left out: a message that reaches Home Assistant has crossed the
 * broker, so a "broker" fault in it is the moment before the fault board heard of the reconnect.
 */
export function hasProblem(h: Pick<HealthSnapshot, "capture" | "modelMissing" | "faults">): boolean {
  return h.capture !== "online" || h.modelMissing || h.faults.some((f) => f !== "broker");
}

export function healthPayload(h: HealthSnapshot, startedMs: number): HealthPayload {
  return {
    capture: h.capture,
    inference_ms_per_window: round(h.inferenceMsPerWindow, 2),
    dropped_windows: h.droppedWindows,
    processed_windows: h.processedWindows,
    uptime_sec: round(h.uptimeSec, 1),
    started: iso(Math.floor(startedMs / 1000) * 1000),
    detection_enabled: h.detectionEnabled,
    model_missing: h.modelMissing,
    sink_failures: h.sinkFailures,
    faults: h.faults,
    problem: hasProblem(h),
    fault_details: h.faultDetails ?? {},
    ...(h.learning !== undefined ? { learning: h.learning } : {}),
  };
}

export type DetectionCommand =
  | { kind: "detection"; enabled: boolean }
  | { kind: "sensitivity"; sensitivity: number }
  | { kind: "invalid"; reason: string };

/**
 * `set/detection`: ON/OFF (also on/off, true/false, 1/0). `set/sensitivity`: a number 0..100 (percent).
 * Anything else is reported as invalid, never thrown.
 */
export function parseCommand(which: "detection" | "sensitivity", payload: Buffer | string): DetectionCommand {
  const text = (typeof payload === "string" ? payload : payload.toString("utf8")).trim();
  if (which === "detection") {
    const v = text.toLowerCase();
    if (v === "on" || v === "true" || v === "1") return { kind: "detection", enabled: true };
    if (v === "off" || v === "false" || v === "0") return { kind: "detection", enabled: false };
    return {
      kind: "invalid",
      reason: `Expected ON or OFF on set/detection, got ${JSON.stringify(text.slice(0, 40))}`,
    };
  }
  const n = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    return {
      kind: "invalid",
      reason: `Expected a number between 0 and 100 on set/sensitivity, got ${JSON.stringify(text.slice(0, 40))}`,
    };
  }
  return { kind: "sensitivity", sensitivity: n / 100 };
}
