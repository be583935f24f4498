import { FEEDBACK_LABELS, type FeedbackLabel } from "./labels.js";
import type { LearningStore } from "./store.js";

const DAY_MS = 86_400_000;

/** A parent's feedback: which episode ("last": the current or most recent one) and what it was. */
export interface FeedbackRequest {
  episodeId: string | "last";
  label: FeedbackLabel;
}

export type FeedbackResult =
  | { ok: true; episodeId: string; label: FeedbackLabel; unchanged: boolean }
  /** `expired`: the episode is known but what babymon kept of it is gone (else it is unknown) */
  | { ok: false; warning: string; expired?: true };

/**
 * Records one label, after checking that the episode is known and that what babymon kept of it (its windows'
 * embeddings) is still there: feedback on an unknown or expired episode changes nothing and says why. Labels are
 * only ever added; a label equal to the episode's latest one is not written again.
 */
export function applyFeedback(
  store: LearningStore,
  request: FeedbackRequest,
  o: { source: string; retentionDays: number; now?: number },
): FeedbackResult {
  const now = o.now ?? Date.now();
  const episode = request.episodeId === "last" ? store.lastEpisode() : store.episode(request.episodeId);
  if (!episode) {
    return {
      ok: false,
      warning:
        request.episodeId === "last"
          ? "no episode yet to give feedback on"
          : `unknown episode id ${JSON.stringify(request.episodeId)} (\`babymon history\` lists the ids)`,
    };
  }
  if (episode.startMs < now - o.retentionDays * DAY_MS || !store.hasWindows(episode.id)) {
    return {
      ok: false,
      expired: true,
      warning: `episode ${episode.id} has expired: what babymon kept of it is gone (learning.retentionDays ${o.retentionDays}, or \`babymon forget\`)`,
    };
  }
  if (store.latestLabels().get(episode.id) === request.label)
    return { ok: true, episodeId: episode.id, label: request.label, unchanged: true };
  store.addFeedback({ episodeId: episode.id, label: request.label, source: o.source, now });
  return { ok: true, episodeId: episode.id, label: request.label, unchanged: false };
}

/** "It cried and you missed it": a cry at a time without an episode, kept and counted in the diagnostics. */
export function missedCry(
  store: LearningStore,
  atMs: number,
  label: FeedbackLabel,
  now = Date.now(),
): { ok: true } | { ok: false; warning: string } {
  if (atMs > now) return { ok: false, warning: `${new Date(atMs).toISOString()} is in the future` };
  const during = store.episodeAt(atMs);
  if (during)
    return {
      ok: false,
      warning: `episode ${during} covers that time: give feedback with --episode ${during}`,
    };
  store.addFeedback({ episodeId: null, atMs, label, source: "cli", now });
  return { ok: true };
}

export const LABEL_LIST = FEEDBACK_LABELS.join(", ");
