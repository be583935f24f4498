import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withSection } from "./model-card.js";
import type { OperatingPoint } from "./types.js";

/** The files a heads export was trained on (manifest.json `training.files`, relative to ../shared/data). */
export function readTrainingFiles(manifestFile: string): Set<string> {
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
    training?: { files?: Array<{ file: string }> };
  };
  const files = manifest.training?.files;
  if (!Array.isArray(files))
    throw new Error(`Expected \`training.files\` (a list) in ${manifestFile}, got ${typeof files}`);
  return new Set(files.map((f) => f.file));
}

/**
 * Writes the chosen operating point into the heads' manifest.json (`thresholds.episode`, `onsetN`, `onsetStrong`)
 * and `section` in place of the operating-point section of their model-card.md; returns both paths.
 */
export function writeOperatingPoint(
  headsDir: string,
  point: Pick<OperatingPoint, "threshold" | "onsetN" | "onsetStrong">,
  section: string,
): { manifestFile: string; cardFile: string } {
  const { threshold, onsetN, onsetStrong } = point;
  const manifestFile = join(headsDir, "manifest.json");
  const m = JSON.parse(readFileSync(manifestFile, "utf8"));
  m.thresholds = { ...m.thresholds, episode: threshold, onsetN, onsetStrong };
  writeFileSync(manifestFile, `${JSON.stringify(m, null, 2)}\n`);
  const cardFile = join(headsDir, "model-card.md");
  writeFileSync(cardFile, withSection(readFileSync(cardFile, "utf8"), section));
  return { manifestFile, cardFile };
}
