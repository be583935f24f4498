import { YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { gaussian, mulberry32 } from "./random.js";

export interface SilenceSpec {
  /** index within the run; also part of the clip's id and group */
  index: number;
  seed: number;
  levelDbfs: number;
  seconds: number;
}

/** Levels of the generated room tone, dBFS RMS: from digital near-silence to a quiet nursery. */
export const SILENCE_LEVELS_DBFS = [-90, -80, -70, -60, -55, -50, -45];

/** `count` silence clips spread over SILENCE_LEVELS_DBFS; `seed` makes them different per run, reproducibly. */
export function silenceSpecs(count: number, seed: number, seconds = 5): SilenceSpec[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    seed: (seed * 7919 + index * 104729) >>> 0,
    levelDbfs: SILENCE_LEVELS_DBFS[index % SILENCE_LEVELS_DBFS.length],
    seconds,
  }));
}

/**
 * Very quiet room tone at 16 kHz: pink-ish noise (Voss–McCartney-like sum of held random values),
 * optional mains hum (50/60 Hz and harmonics), slow level drift, and a little white noise (the ADC floor),
 * scaled to `levelDbfs` RMS.
 */
export function generateSilence(spec: SilenceSpec): Float32Array {
  const rate = YAMNET_FRONTEND.sampleRate;
  const rand = mulberry32(spec.seed);
  const n = Math.round(spec.seconds * rate);
  const out = new Float32Array(n);
  const rows = new Float64Array(8);
  const humHz = rand() < 0.5 ? 50 : 60;
  const humLevel = rand() < 0.5 ? rand() * 0.6 : 0;
  const brown = rand() * 0.5;
  const white = 0.05 + rand() * 0.3;
  let walk = 0;
  const driftHz = 0.1 + rand() * 0.4;
  const phase = rand() * 2 * Math.PI;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rows.length; r++) if ((i & ((1 << r) - 1)) === 0) rows[r] = gaussian(rand);
    let pink = 0;
    for (const v of rows) pink += v;
    walk = 0.995 * walk + 0.05 * gaussian(rand);
    const t = i / rate;
    const hum =
      humLevel * (Math.sin(2 * Math.PI * humHz * t + phase) + 0.4 * Math.sin(2 * Math.PI * 2 * humHz * t));
    const drift = 1 + 0.2 * Math.sin(2 * Math.PI * driftHz * t + phase);
    out[i] = drift * (pink / 3 + brown * walk + hum) + white * gaussian(rand);
  }
  let sum = 0;
  for (const v of out) sum += v * v;
  const rms = Math.sqrt(sum / n) || 1;
  const gain = 10 ** (spec.levelDbfs / 20) / rms;
  for (let i = 0; i < n; i++) out[i] *= gain;
  return out;
}
