import { randomUUID } from "node:crypto";
import type { DetectionConfig } from "../config/schema.js";
import {
  type BabymonEvent,
  type EpisodeInfo,
  type ModelVersions,
  REASONS,
  type Reason,
  type ReasonOrUnsure,
  type ReasonProbabilities,
  reasonProbabilities,
} from "../events.js";
import type { ScoredWindow } from "./window-types.js";

/** Detection settings with the per-score defaults filled in (see `resolveDetection`). */
export type ResolvedDetection = Omit<DetectionConfig, "threshold" | "onsetStrong" | "yamnetSupport"> & {
  threshold: number;
  onsetStrong: number;
  yamnetSupport: number;
};
export type EpisodeParams = Omit<ResolvedDetection, "enabled">;

/**
 * Defaults per cry score, tuned on the evaluation mix (scripts/eval-mix.ts): YAMNet's own score is lower and
 * flatter, so it gets a lower threshold and the single-strong-window onset; the heads' score runs high on
 * household noise, so a higher threshold and no single-window onset.
 */
export const SCORE_DEFAULTS = {
  yamnet: { threshold: 0.4, onsetStrong: 0.8 },
  heads: { threshold: 0.75, onsetStrong: 1 },
} as const;

export function resolveDetection(detection: DetectionConfig, score: "yamnet" | "heads"): ResolvedDetection {
  return {
    ...detection,
    threshold: detection.threshold ?? SCORE_DEFAULTS[score].threshold,
    onsetStrong: detection.onsetStrong ?? SCORE_DEFAULTS[score].onsetStrong,
    yamnetSupport: detection.yamnetSupport ?? 0,
  };
}

interface OpenEpisode {
  id: string;
  startSec: number;
  startMs: number;
  /** end of the last window over the threshold */
  lastCrySec: number;
  peak: number;
  levelDbfs: number;
  /** sums over the crying windows with reasons */
  reasonSums: ReasonProbabilities | null;
  reasonWindows: number;
  reported: boolean;
  provisionalSent: boolean;
}

export interface ReasonSummary {
  reason: ReasonOrUnsure;
  confidence: number;
  probabilities: ReasonProbabilities | null;
}

/** Averaged reason probabilities → the reason, or "unsure" when the best is below `unsureBelow`. */
export function summariseReasons(
  sums: ReasonProbabilities | null,
  count: number,
  unsureBelow: number,
): ReasonSummary {
  if (!sums || count === 0) return { reason: "unsure", confidence: 0, probabilities: null };
  const probabilities = reasonProbabilities((r) => sums[r] / count);
  let best: Reason = REASONS[0];
  for (const r of REASONS) if (probabilities[r] > probabilities[best]) best = r;
  const confidence = probabilities[best];
  return { reason: confidence >= unsureBelow ? best : "unsure", confidence, probabilities };
}

/**
 * The cry-episode state machine. Feed it every window in order (`push`), including windows the volume gate
 * skipped (with cry 0); it returns the events to publish.
 *
 * - Onset: `onsetK` of the last `onsetN` windows over the threshold, or one window at `onsetStrong` or above (a
 *   clear cry is reported half a second sooner); the episode starts at the earliest crying window among them. It is reported once crying has lasted `minDurationSec` (first crying window's start to the last
 *   crying window's end); a candidate that goes quiet for `holdSec` before that is dropped unreported.
 * - Support: with `yamnetSupport` > 0 an onset also needs YAMNet's own cry score at or above it in one of the
 *   last `onsetN` windows (the heads alone hallucinate cries in near-silent room tone where YAMNet hears none).
 * - Release: `holdSec` after the end of the last crying window; the episode ends there.
 * - Cooldown: no onset for `cooldownSec` after an episode's end.
 * - Split: at `maxDurationSec` the episode ends and, if crying continues, the next starts at once.
 * - Reason: reason probabilities averaged over the crying windows; provisional `provisionalAfterSec` after the
 *   start (`episode_update`), final at the end; "unsure" below `unsureBelow`.
 */
export class EpisodeTracker {
  private threshold: number;
  private readonly recent: ScoredWindow[] = [];
  private open: OpenEpisode | null = null;
  private cooldownUntilSec = Number.NEGATIVE_INFINITY;
  private last: ScoredWindow | null = null;

  constructor(
    private readonly params: EpisodeParams,
    private readonly models: ModelVersions,
    private readonly newId: () => string = randomUUID,
  ) {
    this.threshold = params.threshold;
  }

  setThreshold(threshold: number): void {
    this.threshold = threshold;
  }

  getThreshold(): number {
    return this.threshold;
  }

  /** The reported episode in progress, if any. */
  current(): EpisodeInfo | null {
    return this.open?.reported ? this.info(this.open) : null;
  }

  push(w: ScoredWindow): BabymonEvent[] {
    const events: BabymonEvent[] = [];
    this.last = w;
    const over = w.cry > this.threshold;
    this.recent.push(w);
    if (this.recent.length > this.params.onsetN) this.recent.shift();

    const ep = this.open;
    if (ep) {
      if (over) this.absorb(ep, w);
      if (w.endSec - ep.lastCrySec >= this.params.holdSec) {
        this.finish(ep, events);
      } else if (ep.reported && w.endSec - ep.startSec >= this.params.maxDurationSec) {
        const splitSec = w.endSec;
        this.emitEnd(ep, splitSec, events);
        this.open = null;
        const next = this.begin(splitSec, w);
        next.lastCrySec = Math.max(splitSec, ep.lastCrySec);
        if (over) this.absorb(next, w);
        next.reported = true;
        events.push({ type: "episode_start", at: w.atMs, episode: this.info(next) });
        this.open = next;
        return events;
      }
    }

    if (!this.open && over && w.startSec >= this.cooldownUntilSec) {
      const crying = this.recent.filter((r) => r.cry > this.threshold && r.startSec >= this.cooldownUntilSec);
      const supported =
        this.params.yamnetSupport <= 0 ||
        this.recent.some((r) => (r.yamnetCry ?? 1) >= this.params.yamnetSupport);
      if (supported && (crying.length >= this.params.onsetK || w.cry >= this.params.onsetStrong)) {
        const next = this.begin(crying[0].startSec, w);
        for (const r of crying) this.absorb(next, r);
        this.open = next;
      }
    }

    const cur = this.open;
    if (cur && !cur.reported && cur.lastCrySec - cur.startSec >= this.params.minDurationSec) {
      cur.reported = true;
      events.push({ type: "episode_start", at: w.atMs, episode: this.info(cur) });
    }
    if (cur?.reported && !cur.provisionalSent && w.endSec - cur.startSec >= this.params.provisionalAfterSec) {
      cur.provisionalSent = true;
      events.push({ type: "episode_update", at: w.atMs, episode: this.info(cur) });
    }
    return events;
  }

  /** Ends the open episode now (shutdown, end of input, detection turned off). */
  close(): BabymonEvent[] {
    const events: BabymonEvent[] = [];
    if (this.open) this.finish(this.open, events);
    this.recent.length = 0;
    return events;
  }

  private begin(startSec: number, w: ScoredWindow): OpenEpisode {
    return {
      id: this.newId(),
      startSec,
      startMs: this.epochAt(startSec, w),
      lastCrySec: startSec,
      peak: 0,
      levelDbfs: Number.NEGATIVE_INFINITY,
      reasonSums: null,
      reasonWindows: 0,
      reported: false,
      provisionalSent: false,
    };
  }

  private absorb(ep: OpenEpisode, w: ScoredWindow): void {
    ep.lastCrySec = Math.max(ep.lastCrySec, w.endSec);
    ep.peak = Math.max(ep.peak, w.cry);
    ep.levelDbfs = Math.max(ep.levelDbfs, w.levelDbfs);
    if (w.reasons) {
      ep.reasonSums ??= reasonProbabilities(() => 0);
      for (const r of REASONS) ep.reasonSums[r] += w.reasons[r];
      ep.reasonWindows++;
    }
  }

  private finish(ep: OpenEpisode, events: BabymonEvent[]): void {
    this.open = null;
    if (!ep.reported) return;
    const endSec = Math.max(ep.lastCrySec, ep.startSec);
    this.emitEnd(ep, endSec, events);
    this.cooldownUntilSec = endSec + this.params.cooldownSec;
  }

  private emitEnd(ep: OpenEpisode, endSec: number, events: BabymonEvent[]): void {
    const w = this.last!;
    events.push({
      type: "episode_end",
      at: w.atMs,
      episode: {
        ...this.info(ep),
        endSec,
        endMs: this.epochAt(endSec, w),
        durationSec: endSec - ep.startSec,
      },
    });
  }

  private info(ep: OpenEpisode): EpisodeInfo {
    const summary = summariseReasons(ep.reasonSums, ep.reasonWindows, this.params.unsureBelow);
    return {
      id: ep.id,
      startMs: ep.startMs,
      startSec: ep.startSec,
      peak: ep.peak,
      reason: summary.reason,
      confidence: summary.confidence,
      probabilities: summary.probabilities,
      levelDbfs: Number.isFinite(ep.levelDbfs) ? ep.levelDbfs : -120,
      models: this.models,
    };
  }

  private epochAt(sec: number, w: ScoredWindow): number {
    return Math.round(w.atMs - (w.endSec - sec) * 1000);
  }
}
