import { join } from "node:path";
import type { SinkFactory } from "../sink.js";
import { ClipRecorder } from "./clip-recorder.js";

/** The episode clip recorder from `storage.clips` (off by default); it needs the database to link its clips. */
export const clipRecorderFactory: SinkFactory = ({ config, database, dataDir, logger }) =>
  config.storage.clips.enabled && database
    ? new ClipRecorder(
        config.storage.clips,
        database,
        join(dataDir, "clips"),
        logger.child({ sink: "clips" }),
      )
    : null;
