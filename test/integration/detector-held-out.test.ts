import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { readAudioFile16k } from "../../src/audio/decode.js";
import { WindowCutter } from "../../src/detection/windows.js";
import { PATCH_WINDOW_SAMPLES } from "../../src/dsp/frontend-params.js";
import { type Detector, detectorSchema } from "../../src/inference/detector.js";
import { createDetectorAnalyzer, type DetectorAnalyzer } from "../../src/inference/detector-analyzer.js";
import { COMMITTED_HEADS } from "../support/detector-fixture.js";
import { prerequisiteOrSkip } from "../support/tools.js";
import { SHARED } from "./daemon-support.js";

/**
 * The shipped detector on the clips its manifest lists as held out of its training (`detector.heldOut`, paths
 * relative to ../shared): per negative clip (speech, cat, toddler) the 90th percentile of its windows' cry
 * probability is below 0.5 (a window or two may stray, the episode logic needs 3 of N or one ≥ onsetStrong);
 * per cry clip the mean over its cry part (windows within 20 dB of the clip's loudest) is above 0.9. Each clip is
 * a stream of its own (the sequence model's history starts afresh), windows every 0.48 s as in the daemon.
 * Skipped, saying so, while the committed manifest has no detector block; a listed clip that is missing fails
 * under CI=true.
 */
// HELD_OUT_HEADS_DIR: another heads folder (a candidate from a `runs/` folder) to check the same way
const HEADS = process.env.HELD_OUT_HEADS_DIR || COMMITTED_HEADS;
const manifest = JSON.parse(readFileSync(join(HEADS, "manifest.json"), "utf8")) as {
  detector?: unknown;
};
const NO_BLOCK =
  manifest.detector === undefined
    ? `${join(HEADS, "manifest.json")} has no \`detector\` block yet (\`npm run train-export\` writes it)`
    : false;
const NEGATIVE = ["speech", "cat", "toddler"] as const;
/**
 * Issue 14's goal, not met by the detector shipped on 2026-12-02 (YAMNet's own score, Platt-scaled on the
 * benchmark): YAMNet's cry score on cats and on the toddler overlaps its score on Donate-a-Cry cries, so no monotone
 * calibration of it puts the first below 0.5 and the second above 0.9. These run as TODO (reported, with each failing
 * clip's figure, not counted as failures) until a detector that meets them ships; then remove them from this list.
 */
const NOT_MET: ReadonlySet<string> = new Set(["cat", "toddler", "cry"]);
const todo = (kind: string) =>
  NOT_MET.has(kind) ? { todo: `issue 14's goal not met for ${kind} by the shipped detector` } : {};
const NEGATIVE_PERCENTILE = 0.9;
const CRY_PART_DB = 20;

function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

describe("the shipped detector on its held-out clips", { skip: NO_BLOCK }, () => {
  let detector: Detector;
  let analyzer: DetectorAnalyzer;
  before(async () => {
    detector = detectorSchema.parse(manifest.detector);
    analyzer = await createDetectorAnalyzer({ headsDir: HEADS, detector });
  });
  after(() => analyzer?.dispose());

  /** The clip's windows' cry probability and level; null (skipped, or failed under CI) when it is missing. */
  async function windowsOf(
    t: TestContext,
    clip: string,
  ): Promise<Array<{ cry: number; level: number }> | null> {
    const file = join(SHARED, clip);
    if (
      prerequisiteOrSkip(t, existsSync(file) ? null : `held-out clip ${file} (detector.heldOut) is missing`)
    )
      return null;
    let samples = (await readAudioFile16k(file)).samples;
    if (samples.length < PATCH_WINDOW_SAMPLES) {
      const padded = new Float32Array(PATCH_WINDOW_SAMPLES);
      padded.set(samples);
      samples = padded;
    }
    const cut: Array<{ samples: Float32Array; level: number }> = [];
    new WindowCutter(0.48).push(samples, (w) => cut.push({ samples: w.samples.slice(), level: w.levelDbfs }));
    analyzer.reset();
    // reasons are not what this checks: reasonsAbove 1 skips the reason heads
    const analysed = await analyzer.analyze(
      cut.map((c) => c.samples),
      { reasonsAbove: 1 },
    );
    return analysed.map((a, i) => ({ cry: a.cry, level: cut[i].level }));
  }

  it("lists held-out clips of every kind", () => {
    for (const kind of [...NEGATIVE, "cry"]) {
      assert.ok((detector.heldOut?.[kind]?.length ?? 0) > 0, `detector.heldOut.${kind} is empty`);
    }
  });

  for (const kind of NEGATIVE) {
    it(
      `gives a cry probability below 0.5 on held-out ${kind} clips (p${NEGATIVE_PERCENTILE * 100} over windows)`,
      todo(kind),
      async (t) => {
        const failing: string[] = [];
        for (const clip of detector.heldOut?.[kind] ?? []) {
          const w = await windowsOf(t, clip);
          if (!w) return;
          const p = percentile(
            w.map((x) => x.cry),
            NEGATIVE_PERCENTILE,
          );
          if (!(p < 0.5)) failing.push(`${clip}: p${NEGATIVE_PERCENTILE * 100} ${p.toFixed(3)}`);
        }
        const n = detector.heldOut?.[kind]?.length ?? 0;
        assert.deepEqual(failing, [], `${failing.length} of ${n} ${kind} clips at or above 0.5`);
      },
    );
  }

  it(
    "gives a cry probability above 0.9 on held-out cry clips (mean over the cry part)",
    todo("cry"),
    async (t) => {
      const failing: string[] = [];
      for (const clip of detector.heldOut?.cry ?? []) {
        const w = await windowsOf(t, clip);
        if (!w) return;
        const loudest = Math.max(...w.map((x) => x.level));
        const part = w.filter((x) => x.level >= loudest - CRY_PART_DB);
        const mean = part.reduce((s, x) => s + x.cry, 0) / part.length;
        if (!(mean > 0.9)) failing.push(`${clip}: mean ${mean.toFixed(3)} over ${part.length} windows`);
      }
      const n = detector.heldOut?.cry?.length ?? 0;
      assert.deepEqual(failing, [], `${failing.length} of ${n} cry clips at or below 0.9`);
    },
  );
});
