import type { CaptureStatus, ReasonOrUnsure } from "../events.js";
import type { FeedbackLabel } from "../learning/labels.js";

/** The shapes the page's API returns (README "Web page and API" documents them). */

/** One point of the live graph: one window. */
export interface LivePoint {
  /** epoch ms of the window's end */
  atMs: number;
  levelDbfs: number;
  cry: number;
}

export interface NamedClass {
  name: string;
  score: number;
}

/** The episode going on now. */
export interface CurrentEpisode {
  id: string;
  startMs: number;
  reason: ReasonOrUnsure;
  /** true until the provisional reason is reported (`detection.provisionalAfterSec` in) */
  early: boolean;
  confidence: number;
  peak: number;
  levelDbfs: number;
}

/** GET /api/status, and the `status` event of the stream. */
export interface WebStatus {
  version: string;
  nowMs: number;
  crying: boolean;
  episode: CurrentEpisode | null;
  detection: { enabled: boolean; sensitivity: number };
  capture: CaptureStatus;
  inferenceMsPerWindow: number;
  droppedWindows: number;
  processedWindows: number;
  uptimeSec: number;
  modelMissing: boolean;
  mqtt: { enabled: boolean; connected: boolean };
  faults: string[];
  /** the last window: its level, cry probability and YAMNet's top 5 classes */
  lastWindow: (LivePoint & { topClasses: NamedClass[] }) | null;
  /** "Listen in" is on (web.listen) */
  listen: boolean;
}

/** An episode as the API returns it. */
export interface WebEpisode {
  id: string;
  startMs: number;
  endMs: number | null;
  durationSec: number | null;
  peak: number;
  reason: string;
  provisionalReason: string | null;
  confidence: number;
  levelDbfs: number;
  status: "open" | "closed" | "interrupted";
}

/** One row of GET /api/episodes: with the parents' latest label of it (src/learning), if any. */
export interface ListedEpisode extends WebEpisode {
  feedback: FeedbackLabel | null;
}

/** GET /api/night: the timeline of a night from the database. */
export interface NightTimeline {
  fromMs: number;
  toMs: number;
  /** one point per bucket: mean level, highest cry probability (only with `storage.windowLog.enabled`) */
  points: Array<{ atMs: number; levelDbfs: number; cry: number }>;
  episodes: WebEpisode[];
  windowLog: boolean;
}
