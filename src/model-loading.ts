import { join } from "node:path";
import type { DetectionConfig, InferenceConfig } from "./config/schema.js";
import { type ResolvedDetection, resolveDetection } from "./detection/episodes.js";
import { createAnalyzer, findHeadsDirs } from "./inference/analyzer.js";
import { createDetectorAnalyzer, readDetector } from "./inference/detector-analyzer.js";
import { HeadsModelError } from "./inference/heads-error.js";
import type { Analyzer, DetectorOperatingPoint, HeadsOperatingPoint } from "./inference/types.js";
import type { Logger } from "./logging.js";
import { PROJECT_ROOT } from "./version.js";

/**
 * Which models the daemon loads (src/app.ts and the file commands share it): YAMNet, the trained heads, the heads
 * manifest's `detector` block; and the detection settings that follow from them.
 */

/** The heads folder for `auto`/`heads`: the configured one, else the newest heads folder under models/. */
export function resolveHeadsDir(inference: InferenceConfig): string | null {
  if (inference.scoreSource === "yamnet") return null;
  if (inference.headsDir) return inference.headsDir;
  const found = findHeadsDirs()[0] ?? null;
  if (!found && inference.scoreSource === "heads") {
    throw new Error(
      `Expected trained heads in \`inference.headsDir\` or under ${join(PROJECT_ROOT, "models")} for \`inference.scoreSource: heads\`, found none (run \`npm run train-export\`)`,
    );
  }
  return found;
}

/**
 * The detection settings for the loaded models: per-score defaults for what the owner left unset
 * (`resolveDetection`). Trained heads may ship their own operating points in their manifest (validated when the
 * heads load, src/inference/heads.ts):
 * `thresholds.episode` (the episode threshold for this export, calibrated on a held-out nursery mix, see
 * scripts/calibrate-episode.ts --cross-fit --write) replaces the heads default, as do `thresholds.onsetN` (unless
 * below the configured `onsetK`) and `thresholds.onsetStrong`, chosen with it; `thresholds.unsure` replaces
 * `detection.unsureBelow`, `thresholds.yamnetSupport` `detection.yamnetSupport`. Values the owner set explicitly
 * (file, env, flag) always win.
 */
export function detectionForModels(
  detection: DetectionConfig,
  origins: Record<string, string>,
  analyzer: Analyzer | null,
): ResolvedDetection {
  const detector = analyzer?.detectorPoint;
  if (detector) return detectionForDetector(detection, origins, detector, analyzer?.headsOperatingPoint);
  const resolved = resolveDetection(detection, analyzer?.models.heads ? "heads" : "yamnet");
  const point = analyzer?.models.heads ? analyzer.headsOperatingPoint : null;
  if (!point) return resolved;
  if (!origins["detection.threshold"] && point.episode !== undefined) resolved.threshold = point.episode;
  if (!origins["detection.onsetN"] && point.onsetN !== undefined && point.onsetN >= resolved.onsetK)
    resolved.onsetN = point.onsetN;
  if (!origins["detection.onsetStrong"] && point.onsetStrong !== undefined)
    resolved.onsetStrong = point.onsetStrong;
  if (!origins["detection.unsureBelow"] && point.unsure !== undefined) resolved.unsureBelow = point.unsure;
  if (!origins["detection.yamnetSupport"] && point.yamnetSupport !== undefined)
    resolved.yamnetSupport = point.yamnetSupport;
  return resolved;
}

/**
 * The detection settings when the heads' `detector` block gives the cry probability: its point (threshold, onsetN
 * of onsetK, onsetStrong; chosen on the benchmark with no YAMNet support rule) for what the owner left unset; of the
 * heads' own point only `thresholds.unsure`, which is about their reasons.
 */
function detectionForDetector(
  detection: DetectionConfig,
  origins: Record<string, string>,
  point: DetectorOperatingPoint,
  heads: HeadsOperatingPoint | null | undefined,
): ResolvedDetection {
  const resolved = resolveDetection(detection, "yamnet");
  if (!origins["detection.threshold"]) resolved.threshold = point.threshold;
  if (!origins["detection.onsetN"] && point.onsetN >= resolved.onsetK) resolved.onsetN = point.onsetN;
  if (!origins["detection.onsetStrong"]) resolved.onsetStrong = point.onsetStrong;
  if (!origins["detection.unsureBelow"] && heads?.unsure !== undefined) resolved.unsureBelow = heads.unsure;
  return resolved;
}

/**
 * Loads YAMNet and (per `inference.scoreSource`) the trained heads: `auto` runs the heads manifest's `detector`
 * block when it has one (src/inference/detector-analyzer.ts), else the heads, else YAMNet's own cry score.
 */
export async function loadAnalyzer(inference: InferenceConfig, logger: Logger): Promise<Analyzer> {
  const headsDir = resolveHeadsDir(inference);
  const log = (line: string) => logger.info(line);
  const modelDir = inference.yamnetDir ?? undefined;
  const load = (heads: string | null) => createAnalyzer({ modelDir, backend: inference.backend, heads, log });
  if (!headsDir || inference.scoreSource === "heads") return load(headsDir);
  try {
    const detector = readDetector(headsDir);
    if (detector)
      return await createDetectorAnalyzer({ modelDir, backend: inference.backend, headsDir, detector, log });
    return await load(headsDir);
  } catch (err) {
    // `auto`: unusable heads must not silence the monitor — fall back to YAMNet's own cry score. Only the heads'
    // error: a broken YAMNet is reported as YAMNet's (falling back would not help).
    if (!(err instanceof HeadsModelError)) throw err;
    logger.warn(
      { err: (err as Error).message, headsDir },
      "trained heads not usable; using YAMNet's cry score",
    );
    return load(null);
  }
}
