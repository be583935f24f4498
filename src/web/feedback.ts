import type { FastifyError, FastifyInstance } from "fastify";
import { applyFeedback } from "../learning/feedback.js";
import {
  type FeedbackTarget,
  MAX_FEEDBACK_BYTES,
  parseFeedbackPayload,
} from "../learning/feedback-command.js";
import { FEEDBACK_LABELS } from "../learning/labels.js";
import type { Logger } from "../logging.js";

const EXPECTED = `a JSON object {"episode_id": "<id>" | "last", "label": "<label>"} with content-type application/json`;

/** What the page needs to offer feedback: the labels, or why it cannot be given. */
export function feedbackInfo(target: FeedbackTarget): { labels: readonly string[]; off: string | null } {
  return "off" in target ? { labels: [], off: target.off } : { labels: FEEDBACK_LABELS, off: null };
}

/**
 * POST /api/feedback: the page's "Not a cry" and "What was it?", applied as the MQTT command is (the same parser,
 * the same `applyFeedback`, source "web"). Its own scope takes only application/json, read as text (at most
 * MAX_FEEDBACK_BYTES): a cross-site form or a text/plain POST (no CORS preflight) is refused before it is read.
 */
export function registerFeedbackApi(app: FastifyInstance, target: FeedbackTarget, logger: Logger): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "application/json",
      { parseAs: "string", bodyLimit: MAX_FEEDBACK_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err: FastifyError, req, reply) => {
      if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
        return reply
          .code(415)
          .send({ error: `Expected ${EXPECTED}, got ${req.headers["content-type"] ?? "no content-type"}` });
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE")
        return reply.code(413).send({
          error: `Expected ${EXPECTED} under ${MAX_FEEDBACK_BYTES} bytes, got ${req.headers["content-length"] ?? "more"} bytes`,
        });
      throw err; // the server's own handler
    });
    scope.post("/api/feedback", async (req, reply) => {
      if ("off" in target) return reply.code(503).send({ error: `feedback cannot be kept: ${target.off}` });
      const request = parseFeedbackPayload(typeof req.body === "string" ? req.body : "");
      if ("invalid" in request) return reply.code(400).send({ error: request.invalid });
      const result = applyFeedback(target.store, request, {
        source: "web",
        retentionDays: target.retentionDays,
      });
      // unknown: 404; known but what was kept of it is gone: 409 — nothing changed either way
      if (!result.ok) return reply.code(result.expired ? 409 : 404).send({ error: result.warning });
      if (!result.unchanged)
        logger.info({ episode: result.episodeId, label: result.label }, "feedback recorded");
      return { episodeId: result.episodeId, label: result.label, unchanged: result.unchanged };
    });
  });
}
