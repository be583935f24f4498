import { type Logger, RepeatLimiter } from "../logging.js";
import type { SinkContext } from "../sinks/sink.js";
import { applyFeedback, type FeedbackRequest, LABEL_LIST } from "./feedback.js";
import { isFeedbackLabel } from "./labels.js";
import { LearningStore } from "./store.js";

/** A feedback message larger than this is refused unread (a label is a few dozen bytes). */
export const MAX_FEEDBACK_BYTES = 1024;
/** At most this many feedback messages are applied per second; the rest are dropped (and counted). */
export const MAX_FEEDBACK_PER_SEC = 20;

/**
 * Parses a `set/feedback` payload: `{"episode_id": "…" | "last", "label": "…"}`. An absent episode_id means the
 * last episode (Home Assistant's "Not a cry" button and "What was it?" select send no id).
 */
export function parseFeedbackPayload(payload: Buffer | string): FeedbackRequest | { invalid: string } {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_FEEDBACK_BYTES)
    return {
      invalid: `a feedback payload of ${size} bytes; expected a JSON object under ${MAX_FEEDBACK_BYTES} bytes`,
    };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString());
  } catch {
    return { invalid: `feedback is not JSON: ${JSON.stringify(payload.toString().slice(0, 60))}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return {
      invalid: `expected a JSON object {"episode_id", "label"}, got ${JSON.stringify(value).slice(0, 60)}`,
    };
  const { episode_id: id, label } = value as Record<string, unknown>;
  if (id !== undefined && id !== null && (typeof id !== "string" || id.length === 0 || id.length > 100))
    return {
      invalid: `expected \`episode_id\` to be an episode id or "last", got ${JSON.stringify(id).slice(0, 60)}`,
    };
  if (!isFeedbackLabel(label))
    return {
      invalid: `expected \`label\` to be one of ${LABEL_LIST}, got ${JSON.stringify(label)?.slice(0, 60)}`,
    };
  return { episodeId: typeof id === "string" ? id : "last", label };
}

/**
 * The MQTT feedback handler: parse, rate-limit, apply. Never throws; a bad message is a warning (at most one a
 * second is logged, so a flood cannot fill the journal) and changes nothing.
 */
export function feedbackCommandHandler(
  store: LearningStore,
  o: { log: Logger; retentionDays: number; now?: () => number; onApplied?: () => void },
): (payload: Buffer) => "applied" | "invalid" {
  const now = o.now ?? Date.now;
  let second = 0;
  let inSecond = 0;
  const warnings = new RepeatLimiter(1000, now);
  const warn = (message: string) => {
    const logged = warnings.pass("feedback");
    if (logged) o.log.warn({ suppressed: logged.repeats }, `MQTT: ignored feedback: ${message}`);
  };
  return (payload) => {
    try {
      const t = now();
      if (Math.floor(t / 1000) !== second) {
        second = Math.floor(t / 1000);
        inSecond = 0;
      }
      if (++inSecond > MAX_FEEDBACK_PER_SEC) {
        warn(`more than ${MAX_FEEDBACK_PER_SEC} feedback messages in a second`);
        return "invalid";
      }
      const request = parseFeedbackPayload(payload);
      if ("invalid" in request) {
        warn(request.invalid);
        return "invalid";
      }
      const result = applyFeedback(store, request, {
        source: "mqtt",
        retentionDays: o.retentionDays,
        now: t,
      });
      if (!result.ok) {
        warn(result.warning);
        return "invalid";
      }
      o.log.info({ episode: result.episodeId, label: result.label }, "feedback recorded");
      o.onApplied?.();
      return "applied";
    } catch (err) {
      warn(`it failed: ${(err as Error).message}`);
      return "invalid";
    }
  };
}

/** Where feedback is kept: the daemon's learning store, or why there is none (learning off, no database). */
export type FeedbackTarget = { store: LearningStore; retentionDays: number } | { off: string };

export function feedbackTargetFor(ctx: SinkContext): FeedbackTarget {
  if (!ctx.config.learning.enabled) return { off: "learning is off (`learning.enabled: false`)" };
  if (!ctx.database)
    return { off: "storage is off (`storage.enabled: false`): there is no database to keep labels in" };
  return { store: new LearningStore(ctx.database), retentionDays: ctx.config.learning.retentionDays };
}

/** The MQTT sink's feedback handler, or undefined when learning is off or there is no database to keep labels in. */
export function feedbackHandlerFor(
  ctx: SinkContext,
): ((payload: Buffer) => "applied" | "invalid") | undefined {
  const target = feedbackTargetFor(ctx);
  if ("off" in target) return undefined;
  return feedbackCommandHandler(target.store, {
    log: ctx.logger.child({ sink: "mqtt" }),
    retentionDays: target.retentionDays,
  });
}
