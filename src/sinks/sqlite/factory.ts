import { ClipRecorder } from "../clips/clip-recorder.js";
import type { SinkFactory } from "../sink.js";
import { SqliteSink } from "./sqlite-sink.js";

/** The SQLite log of the daemon's database (none when storage is disabled). */
export const sqliteSinkFactory: SinkFactory = ({ config, database, logger }) =>
  database
    ? new SqliteSink(database, {
        config: config.storage,
        logger: logger.child({ sink: "sqlite" }),
        removeClip: ClipRecorder.removeFile,
      })
    : null;
