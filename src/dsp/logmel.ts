import FFT from "fft.js";
import { PATCH_SIZE, PATCH_WINDOW_SAMPLES, YAMNET_FRONTEND } from "./frontend-params.js";

/**
 * YAMNet's log-mel frontend, computed outside the model (the TFLite graph's own DFT is int8 and lossy):
 * 25 ms periodic Hann window, 10 ms hop, no padding (frames = 1 + floor((N - 400) / 160)), 512-point FFT
 * magnitude, 64 HTK-mel bands 125–7500 Hz as tf.signal.linear_to_mel_weight_matrix (DC bin zeroed),
 * log(mel + 0.001). Patches of 96 frames, hop 48. Output is row-major frames × bands, float32.
 * Internal arithmetic is float64; FFT objects, the window and the sparse mel matrix are built once per
 * LogMelFrontend, which its user keeps (the analyzer, the training feature extractor).
 */

const F = YAMNET_FRONTEND;
const BINS = F.fftSize / 2 + 1; // 257

function hertzToMel(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

/** The 257 × 64 mel weight matrix (row-major, bins × bands), exactly as tf.signal.linear_to_mel_weight_matrix. */
function melWeightMatrix(): Float64Array {
  const m = new Float64Array(BINS * F.melBands);
  const nyquist = F.sampleRate / 2;
  const lowMel = hertzToMel(F.melMinHz);
  const highMel = hertzToMel(F.melMaxHz);
  const edges = new Float64Array(F.melBands + 2);
  for (let i = 0; i < edges.length; i++) edges[i] = lowMel + ((highMel - lowMel) * i) / (F.melBands + 1);
  // bin 0 (DC) is zeroed, as tf does with bands_to_zero = 1
  for (let bin = 1; bin < BINS; bin++) {
    const mel = hertzToMel((nyquist * bin) / (BINS - 1));
    for (let b = 0; b < F.melBands; b++) {
      const lower = (mel - edges[b]) / (edges[b + 1] - edges[b]);
      const upper = (edges[b + 2] - mel) / (edges[b + 2] - edges[b + 1]);
      m[bin * F.melBands + b] = Math.max(0, Math.min(lower, upper));
    }
  }
  return m;
}

/** The 400-sample periodic Hann window. */
function periodicHann(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return w;
}

/** Number of STFT frames for `samples` samples (no padding). */
function frameCount(samples: number): number {
  return samples < F.stftWindowSamples
    ? 0
    : 1 + Math.floor((samples - F.stftWindowSamples) / F.stftHopSamples);
}

/**
 * Reusable log-mel computer: owns its FFT, buffers, window and sparse mel matrix, built once per instance (its
 * user keeps one). Not re-entrant.
 */
export class LogMelFrontend {
  private readonly fft = new FFT(F.fftSize);
  private readonly frame = new Float64Array(F.fftSize);
  private readonly spectrum: number[] = this.fft.createComplexArray() as number[];
  private readonly magnitude = new Float64Array(BINS);
  private readonly window = periodicHann(F.stftWindowSamples);
  /** per band: first bin and its weights (each band is a triangle over a contiguous run of bins) */
  private readonly bandStart = new Int32Array(F.melBands);
  private readonly bandWeights: Float64Array[] = [];

  constructor() {
    const m = melWeightMatrix();
    for (let b = 0; b < F.melBands; b++) {
      let first = -1;
      let last = -1;
      for (let bin = 0; bin < BINS; bin++) {
        if (m[bin * F.melBands + b] > 0) {
          if (first < 0) first = bin;
          last = bin;
        }
      }
      this.bandStart[b] = first;
      const weights = new Float64Array(first < 0 ? 0 : last - first + 1);
      for (let i = 0; i < weights.length; i++) weights[i] = m[(first + i) * F.melBands + b];
      this.bandWeights.push(weights);
    }
  }

  /** Writes the log-mel of the frame starting at `offset` into out[outOffset … outOffset + 63]. */
  private computeFrame(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    const frame = this.frame;
    const w = this.window;
    for (let i = 0; i < F.stftWindowSamples; i++) frame[i] = samples[offset + i] * w[i];
    // frame[400 … 511] stays zero
    const spec = this.spectrum;
    this.fft.realTransform(spec, frame);
    const mag = this.magnitude;
    for (let k = 0; k < BINS; k++) {
      const re = spec[2 * k];
      const im = spec[2 * k + 1];
      mag[k] = Math.sqrt(re * re + im * im);
    }
    for (let b = 0; b < F.melBands; b++) {
      const weights = this.bandWeights[b];
      const start = this.bandStart[b];
      let acc = 0;
      for (let i = 0; i < weights.length; i++) acc += mag[start + i] * weights[i];
      out[outOffset + b] = Math.log(acc + F.logOffset);
    }
  }

  /** All frames of a 16 kHz signal: `frames` × 64 values, row-major. */
  frames(samples16k: Float32Array): { data: Float32Array; frames: number } {
    const frames = frameCount(samples16k.length);
    const data = new Float32Array(frames * F.melBands);
    for (let f = 0; f < frames; f++)
      this.computeFrame(samples16k, f * F.stftHopSamples, data, f * F.melBands);
    return { data, frames };
  }

  /** The 96 × 64 patches (hop 48 frames) of a 16 kHz signal, each a fresh Float32Array; no padding. */
  patches(samples16k: Float32Array): Float32Array[] {
    const { data, frames } = this.frames(samples16k);
    const patches: Float32Array[] = [];
    for (let start = 0; start + F.patchFrames <= frames; start += F.patchHopFrames) {
      patches.push(data.slice(start * F.melBands, (start + F.patchFrames) * F.melBands));
    }
    return patches;
  }

  /** One 96 × 64 patch from exactly PATCH_WINDOW_SAMPLES (15600) samples (the streaming daemon's unit). */
  patch(window: Float32Array, out: Float32Array = new Float32Array(PATCH_SIZE)): Float32Array {
    if (window.length !== PATCH_WINDOW_SAMPLES) {
      throw new RangeError(
        `Expected \`window\` to have ${PATCH_WINDOW_SAMPLES} samples (0.975 s at 16 kHz), got ${window.length}`,
      );
    }
    if (out.length !== PATCH_SIZE) {
      throw new RangeError(`Expected \`out\` to have ${PATCH_SIZE} values, got ${out.length}`);
    }
    for (let f = 0; f < F.patchFrames; f++)
      this.computeFrame(window, f * F.stftHopSamples, out, f * F.melBands);
    return out;
  }
}
