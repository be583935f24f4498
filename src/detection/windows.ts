import { SampleRingBuffer } from "../audio/ring-buffer.js";
import type { WindowsConfig } from "../config/schema.js";
import { PATCH_WINDOW_SAMPLES, YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import type { AudioWindow } from "./window-types.js";

const RATE = YAMNET_FRONTEND.sampleRate;
export const WINDOW_SEC = PATCH_WINDOW_SAMPLES / RATE;
export const SILENCE_DBFS = -120;

/** RMS level in dBFS (a full-scale square wave is 0 dBFS, a full-scale sine −3 dBFS); silence is −120. */
export function levelDbfs(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return rms > 0 ? Math.max(SILENCE_DBFS, 20 * Math.log10(rms)) : SILENCE_DBFS;
}

export function hopSamples(hopSec: number): number {
  return Math.max(1, Math.round(hopSec * RATE));
}

/** Cuts a 16 kHz stream into PATCH_WINDOW_SAMPLES windows every `hop` samples, through a ring buffer. */
export class WindowCutter {
  private readonly ring: SampleRingBuffer;
  private nextStart = 0;
  private readonly step: number;

  constructor(hopSec: number) {
    this.step = hopSamples(hopSec);
    this.ring = new SampleRingBuffer(PATCH_WINDOW_SAMPLES + Math.max(this.step, RATE));
  }

  /** Samples received so far. */
  get samplesIn(): number {
    return this.ring.end;
  }

  push(samples: Float32Array, onWindow: (w: AudioWindow) => void): void {
    // feed in pieces no larger than the ring's slack so no window is overwritten before it is cut
    const piece = this.ring.capacity - PATCH_WINDOW_SAMPLES;
    for (let off = 0; off < samples.length; off += piece) {
      this.ring.write(samples.subarray(off, Math.min(samples.length, off + piece)));
      while (this.ring.end >= this.nextStart + PATCH_WINDOW_SAMPLES) {
        const data = this.ring.read(this.nextStart, PATCH_WINDOW_SAMPLES);
        onWindow({
          startSample: this.nextStart,
          startSec: this.nextStart / RATE,
          endSec: (this.nextStart + PATCH_WINDOW_SAMPLES) / RATE,
          samples: data,
          levelDbfs: levelDbfs(data),
        });
        this.nextStart += this.step;
      }
    }
  }
}

/**
 * The optional volume gate: windows quieter than the gate level skip inference. The gate level is the configured
 * floor or, when adaptive, the tracked noise floor plus a margin — capped at `floorDbfs + maxRaiseDb`, so a window
 * louder than that cap is always analysed however loud the background became. The noise floor learns only from
 * windows that were not crying, so a long cry cannot raise the gate over itself. Never gates during an episode.
 */
export class VolumeGate {
  private noiseFloor: number;

  constructor(private readonly config: WindowsConfig["gate"]) {
    this.noiseFloor = config.floorDbfs;
  }

  /** The level (dBFS) a window must reach to be analysed. */
  level(): number {
    const { floorDbfs, adaptive, marginDb, maxRaiseDb } = this.config;
    if (!adaptive) return floorDbfs;
    return Math.min(floorDbfs + maxRaiseDb, Math.max(floorDbfs, this.noiseFloor + marginDb));
  }

  shouldAnalyse(levelDbfs: number, episodeOpen: boolean): boolean {
    if (!this.config.enabled || episodeOpen) return true;
    return levelDbfs >= this.level();
  }

  /** Feeds a window that was not crying (gated, or analysed with a low cry probability) to the noise floor. */
  observeBackground(levelDbfs: number): void {
    const rate = levelDbfs < this.noiseFloor ? 0.3 : 0.02;
    this.noiseFloor += (levelDbfs - this.noiseFloor) * rate;
  }

  getNoiseFloor(): number {
    return this.noiseFloor;
  }
}
