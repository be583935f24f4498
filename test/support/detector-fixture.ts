import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/version.js";

/** The committed heads (never edited by tests: `npm run train-export` writes their manifest). */
export const COMMITTED_HEADS = join(PROJECT_ROOT, "models", "babymon-heads");

/**
 * A copy of the committed heads in `dir`, with `detector` as its manifest's detector block (or no block when
 * null); returns the copy's folder.
 */
export function headsWithDetector(dir: string, detector: unknown): string {
  const heads = join(dir, "heads");
  cpSync(COMMITTED_HEADS, heads, { recursive: true });
  const file = join(heads, "manifest.json");
  const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  if (detector === null) delete manifest.detector;
  else manifest.detector = detector;
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  return heads;
}

/** A `detector.source: "yamnet"` block with a calibration that is not the identity (so the test sees it applied). */
export const YAMNET_DETECTOR = {
  source: "yamnet",
  calibration: { a: 1.3, b: -0.4 },
  point: { threshold: 0.35, onsetN: 4, onsetStrong: 0.85 },
  benchmark: { recall: 0.26, falsePerHour: 1.5, latencyP95Sec: 6.5, ece: 0.03, run: "test" },
  heldOut: { speech: [], cat: [], toddler: [], cry: [] },
};

/** A `detector.reasons` block for the committed heads (made-up numbers, so a test sees them given as they are). */
export const CONSTANT_REASONS = {
  headsVersion: committedHeadsVersion(),
  probabilities: { hungry: 0.6, belly_pain: 0.1, burping: 0.1, discomfort: 0.1, tired: 0.1 },
  maxDeviation: 0.0001,
  windows: 1000,
};

function committedHeadsVersion(): string {
  const m = JSON.parse(readFileSync(join(COMMITTED_HEADS, "manifest.json"), "utf8")) as {
    name: string;
    version: string;
  };
  return `${m.name}@${m.version}`;
}
