import { loadClassMap } from "../inference/class-map.js";
import { feedbackTargetFor } from "../learning/feedback-command.js";
import type { SinkFactory } from "../sinks/sink.js";
import { readPackageVersion } from "../version.js";
import { LiveState } from "./live-state.js";
import { WebMetrics } from "./metrics.js";
import { WebSink } from "./web-sink.js";

/** The local page and /metrics from the `web` slice (none when `web.enabled` is false). */
export const webSinkFactory: SinkFactory = (ctx) => {
  const web = ctx.config.web;
  if (!web.enabled) return null;
  const { mqtt, inference } = ctx.config;
  const mqttEnabled = mqtt.enabled && (mqtt.url !== undefined || mqtt.embeddedBroker.enabled);
  let classNames: readonly string[] = [];
  try {
    classNames = loadClassMap(undefined, inference.yamnetDir ?? undefined).names;
  } catch (err) {
    ctx.logger.warn(
      { err: (err as Error).message },
      "web: YAMNet's class names not found; classes shown by number",
    );
  }
  return new WebSink({
    config: web,
    state: new LiveState({
      control: ctx.control,
      health: ctx.health,
      faults: ctx.faults,
      classNames,
      mqttEnabled,
      listen: web.listen,
      version: readPackageVersion(),
    }),
    metrics: new WebMetrics({ health: ctx.health, faults: ctx.faults, database: ctx.database, mqttEnabled }),
    control: ctx.control,
    faults: ctx.faults,
    database: ctx.database,
    feedback: feedbackTargetFor(ctx),
    logger: ctx.logger.child({ sink: "web" }),
  });
};
