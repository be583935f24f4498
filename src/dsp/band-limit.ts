import { resample } from "./resample.js";

/**
 * The trained heads' low-pass. Band-limits 16 kHz audio to `bandwidthHz` (default 4 kHz) by the exact path an
 * 8 kHz recording takes: down to 2·bandwidth with the band-limited resampler, and back up. Same length as the input. Used to remove the
 * "no energy above 4 kHz means cry" shortcut: apply to every clip, cry or not, for training and inference.
 */
export function bandLimit(samples16k: Float32Array, bandwidthHz = 4000, sampleRate = 16000): Float32Array {
  const low = 2 * bandwidthHz;
  if (!Number.isInteger(low) || low >= sampleRate || low < 1000) {
    throw new RangeError(
      `Expected \`bandwidthHz\` to be a multiple of 0.5 Hz between 500 and ${sampleRate / 2} Hz, got ${bandwidthHz}`,
    );
  }
  const back = resample(resample(samples16k, sampleRate, low), low, sampleRate);
  return back.length === samples16k.length ? back : back.slice(0, samples16k.length);
}
