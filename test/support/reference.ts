import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readAudioFile16k } from "../../src/audio/decode.js";
import { bandLimit } from "../../src/dsp/band-limit.js";
import { PATCH_HOP_SAMPLES } from "../../src/dsp/frontend-params.js";
import { LogMelFrontend } from "../../src/dsp/logmel.js";
import { REASONS } from "../../src/events.js";
import type { HeadPrediction } from "../../src/inference/types.js";
import { PROJECT_ROOT } from "../../src/version.js";

const SHARED_DATA = join(PROJECT_ROOT, "..", "shared", "data");

/** The reference clips' patches (16 kHz, band-limited, every patchHopSeconds), as training computed them. */
export interface ReferenceClipPatches {
  patches: Float32Array[];
  expected: Array<{ cry: number; reasons: number[] }>;
}

/** The log-mel patches of each clip of an export's reference.json, with the predictions training wrote. */
export async function referencePatches(dir: string, bandLimitHz: number): Promise<ReferenceClipPatches[]> {
  const reference = JSON.parse(readFileSync(join(dir, "reference.json"), "utf8"));
  assert.ok(reference.clips.length >= 2, `${dir}: at least 2 reference clips`);
  const stride = Math.round((reference.patchHopSeconds * 16000) / PATCH_HOP_SAMPLES);
  const out: ReferenceClipPatches[] = [];
  for (const clip of reference.clips) {
    const audio = bandLimit((await readAudioFile16k(join(SHARED_DATA, clip.file))).samples, bandLimitHz);
    const patches = new LogMelFrontend().patches(audio).filter((_, i) => i % stride === 0);
    out.push({ patches, expected: clip.patches });
  }
  return out;
}

/** Largest absolute difference of the cry and reason probabilities to the reference ones. */
export function maxPredictionDiff(
  predictions: readonly HeadPrediction[],
  expected: ReferenceClipPatches["expected"],
): number {
  assert.equal(predictions.length, expected.length);
  let maxDiff = 0;
  predictions.forEach((p, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(p.cry - expected[i].cry));
    REASONS.forEach((r, k) => {
      maxDiff = Math.max(maxDiff, Math.abs(p.reasons[r] - expected[i].reasons[k]));
    });
  });
  return maxDiff;
}
