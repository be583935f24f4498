import type { SinkFactory } from "../sinks/sink.js";
import { LearningSink } from "./learning-sink.js";
import { loadPrototypes } from "./prototypes.js";
import { LearningStore } from "./store.js";

/** The learning sink: on unless `learning.enabled: false`; needs the SQLite database (storage). */
export const learningSinkFactory: SinkFactory = (ctx) => {
  const config = ctx.config.learning;
  if (!config.enabled) return null;
  if (!ctx.database) {
    ctx.logger.info("learning: storage is disabled, so feedback cannot be kept; learning is off");
    return null;
  }
  return new LearningSink({
    store: new LearningStore(ctx.database),
    config,
    logger: ctx.logger.child({ sink: "learning" }),
    prototypes: () => loadPrototypes(),
  });
};
