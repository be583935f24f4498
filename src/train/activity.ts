import { PATCH_HOP_SAMPLES, PATCH_WINDOW_SAMPLES } from "../dsp/frontend-params.js";

/**
 * RMS level (dB) of the audio under each of `patches` kept patches (every `stride`-th), for audio that was
 * circularly shifted by `shift` samples before extraction (augmented copies: out[i] = clip[(i + shift) % n]).
 */
export function patchLevelsDb(
  samples16k: Float32Array,
  patches: number,
  stride: number,
  shift = 0,
): Float32Array {
  const n = samples16k.length;
  const levels = new Float32Array(patches);
  if (n === 0) return levels.fill(Number.NEGATIVE_INFINITY);
  for (let k = 0; k < patches; k++) {
    const start = k * stride * PATCH_HOP_SAMPLES;
    let sum = 0;
    for (let j = 0; j < PATCH_WINDOW_SAMPLES; j++) {
      const i = start + j;
      if (i >= n) break; // the extractor zero-pads clips shorter than one window
      const v = samples16k[(i + shift) % n];
      sum += v * v;
    }
    levels[k] = 10 * Math.log10(sum / PATCH_WINDOW_SAMPLES + 1e-20);
  }
  return levels;
}

/**
 * Which patches of a cry clip hold crying: those within `withinDb` of the clip's loudest patch. A Donate-a-Cry
 * clip's label covers the whole clip, but ~22 % of its patches are pauses and room tone more than 15 dB below
 * its loudest; labelled "cry", they teach a head that a quiet room is a cry (the false alarms on quiet
 * background in the held-out nursery mixes). Those patches are left out of the cry targets.
 */
export function activeCryPatches(levelsDb: Float32Array, withinDb: number): Uint8Array {
  let peak = Number.NEGATIVE_INFINITY;
  for (const l of levelsDb) peak = Math.max(peak, l);
  return Uint8Array.from(levelsDb, (l) => (l >= peak - withinDb ? 1 : 0));
}
