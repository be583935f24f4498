import type { FastifyInstance } from "fastify";
import type { DetectionControl } from "../control/detection-control.js";
import type { FeedbackTarget } from "../learning/feedback-command.js";
import { LearningStore } from "../learning/store.js";
import type { Logger } from "../logging.js";
import type { Db } from "../sinks/sqlite/database.js";
import { parseSince } from "../util/since.js";
import { feedbackInfo, registerFeedbackApi } from "./feedback.js";
import type { ListenHub } from "./listen.js";
import type { LiveState } from "./live-state.js";
import type { WebMetrics } from "./metrics.js";
import { episodesBetween, nightTimeline } from "./night.js";
import type { SseHub } from "./sse.js";
import type { ListedEpisode } from "./types.js";

export interface ApiParts {
  state: LiveState;
  metrics: WebMetrics;
  hub: SseHub;
  /** null unless `web.listen` */
  listen: ListenHub | null;
  control: DetectionControl;
  database: Db | null;
  /** where the page's feedback goes (the learning store), or why it cannot */
  feedback: FeedbackTarget;
  logger: Logger;
}

const HOUR_MS = 3_600_000;

class BadRequest extends Error {
  readonly statusCode = 400;
}

/** A query value as epoch ms: a duration ago (12h), a date, or epoch ms; `key` names it in the error. */
function when(value: unknown, fallback: number, key: string, now: number): number {
  if (value === undefined || value === "") return fallback;
  if (typeof value !== "string")
    throw new BadRequest(`Expected \`${key}\` once, got ${JSON.stringify(value)}`);
  if (/^\d{10,}$/.test(value)) return Number(value);
  try {
    return parseSince(value, now, `the query parameter \`${key}\``);
  } catch (err) {
    throw new BadRequest((err as Error).message);
  }
}

function limitOf(value: unknown): number {
  if (value === undefined) return 50;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new BadRequest(`Expected \`limit\` to be an integer from 1 to 1000, got ${JSON.stringify(value)}`);
  return n;
}

function needDatabase(db: Db | null): Db {
  if (!db) throw new BadRequest("storage is off (`storage.enabled: false`): no episodes are kept");
  return db;
}

/** The page's API (README "Web page and API"): status, episodes, the night, the controls, the streams, /metrics. */
export function registerApi(app: FastifyInstance, p: ApiParts): void {
  app.get("/metrics", async (_req, reply) => reply.type(p.metrics.contentType).send(await p.metrics.text()));

  app.get("/api/status", async () => p.state.status());

  app.get("/api/episodes", async (req) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const since = when(q.since, now - 24 * HOUR_MS, "since", now);
    const before = when(q.before, now + 1, "before", now);
    const db = needDatabase(p.database);
    const labels = new LearningStore(db).latestLabels();
    const episodes: ListedEpisode[] = episodesBetween(db, since, before, limitOf(q.limit)).map((e) => ({
      ...e,
      feedback: labels.get(e.id) ?? null,
    }));
    return { since, episodes, feedback: feedbackInfo(p.feedback) };
  });

  registerFeedbackApi(app, p.feedback, p.logger);

  app.get("/api/night", async (req) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const from = when(q.since, now - 12 * HOUR_MS, "since", now);
    const to = when(q.until, from + 12 * HOUR_MS, "until", now);
    return nightTimeline(needDatabase(p.database), from, to);
  });

  app.post("/api/detection", async (req) => {
    // JSON only: a cross-site form or text/plain POST (no CORS preflight) must not switch detection off
    if (
      !req.headers["content-type"]?.startsWith("application/json") ||
      typeof req.body !== "object" ||
      !req.body
    )
      throw new BadRequest(
        `Expected a JSON object such as {"enabled": false} with content-type application/json, got ${req.headers["content-type"] ?? "no content-type"}`,
      );
    const body = req.body as { enabled?: unknown; sensitivity?: unknown };
    if (body.enabled !== undefined && typeof body.enabled !== "boolean")
      throw new BadRequest(`Expected \`enabled\` to be true or false, got ${JSON.stringify(body.enabled)}`);
    if (body.sensitivity !== undefined) {
      const s = body.sensitivity;
      if (typeof s !== "number" || !(s >= 0 && s <= 1))
        throw new BadRequest(`Expected \`sensitivity\` to be a number from 0 to 1, got ${JSON.stringify(s)}`);
      p.control.setSensitivity(s, "web");
    }
    if (typeof body.enabled === "boolean") p.control.setEnabled(body.enabled, "web");
    return p.control.get();
  });

  app.get("/api/events", (req, reply) => {
    reply.hijack();
    p.hub.add(reply.raw, [
      ["status", p.state.status()],
      ["history", p.state.points()],
    ]);
    req.raw.on("error", () => reply.raw.destroy());
  });

  if (p.listen) {
    const listen = p.listen;
    app.get("/api/listen", (_req, reply) => {
      reply.hijack();
      listen.add(reply.raw);
    });
  }
}
