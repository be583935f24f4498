import { FileSource } from "../audio/sources/file.js";
import type { Config } from "../config/schema.js";
import type { ResolvedDetection } from "../detection/episodes.js";
import { ListeningPipeline } from "../detection/listening-pipeline.js";
import type { BabymonEvent } from "../events.js";
import type { Analyzer } from "../inference/types.js";
import type { Logger } from "../logging.js";

/**
 * Runs the daemon's listening pipeline (windows, gate, inference, episode logic) over a file as fast as possible,
 * with the file's own clock (times from its start); resolves when the whole file is processed. Rejects when the
 * file cannot be opened or decoded.
 */
export async function replayFile(o: {
  file: string;
  config: Pick<Config, "windows" | "inference">;
  analyzer: Analyzer;
  detection: ResolvedDetection;
  emit: (event: BabymonEvent) => void;
  logger: Logger;
  newEpisodeId: () => string;
}): Promise<void> {
  const pipeline = new ListeningPipeline({
    windows: o.config.windows,
    inference: o.config.inference,
    detection: o.detection,
    source: new FileSource(o.file, false),
    analyzer: o.analyzer,
    emit: o.emit,
    logger: o.logger,
    newEpisodeId: o.newEpisodeId,
    replayEpochMs: 0,
  });
  await pipeline.start();
  await pipeline.finished;
  await pipeline.stop();
}
