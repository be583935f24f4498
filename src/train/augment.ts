import { mulberry32 } from "./random.js";

/** Parameters of one waveform augmentation of a training clip (drawn once, recorded, cached by value). */
export interface WaveAugmentation {
  /** relPath of the clip the copy is made from (always a training clip of its split) */
  source: string;
  /** relPath of the household clip mixed under it (from the same training side), or null */
  noise: string | null;
  gainDb: number;
  /** samples the clip is shifted by (circularly), at 16 kHz */
  shift: number;
  /** signal-to-noise ratio of the mix, dB */
  snrDb: number;
  /** where in the noise clip the mix starts */
  noiseOffset: number;
}

export interface AugmentationPolicy {
  gainDb: [number, number];
  snrDb: [number, number];
  maxShiftSamples: number;
}

export const DEFAULT_AUGMENTATION: AugmentationPolicy = {
  gainDb: [-6, 6],
  snrDb: [0, 20],
  maxShiftSamples: 7680, // one YAMNet hop: moves the patch grid to positions training has not seen
};

/**
 * Plans one augmented copy for each clip in `training` (never anything else): a random gain, a time
 * shift, and household noise from `noisePool(clip)` — the caller passes only noise clips that sit on
 * the same training side as the clip, so no validation or test audio leaks into training.
 */
export function planAugmentations<T extends { relPath: string }>(
  training: readonly T[],
  noisePool: (clip: T) => readonly string[],
  seed: number,
  policy: AugmentationPolicy = DEFAULT_AUGMENTATION,
): WaveAugmentation[] {
  const rand = mulberry32(seed);
  const between = ([lo, hi]: [number, number]) => lo + (hi - lo) * rand();
  return training.map((clip) => {
    const pool = noisePool(clip);
    const noise = pool.length > 0 ? pool[Math.floor(rand() * pool.length)] : null;
    return {
      source: clip.relPath,
      noise,
      gainDb: between(policy.gainDb),
      shift: Math.floor(rand() * policy.maxShiftSamples),
      snrDb: between(policy.snrDb),
      noiseOffset: Math.floor(rand() * 16000),
    };
  });
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

/** Applies a planned augmentation to 16 kHz audio: circular shift, gain, noise at the planned SNR, clipped to ±1. */
export function applyAugmentation(
  clip: Float32Array,
  noise: Float32Array | null,
  aug: WaveAugmentation,
): Float32Array {
  const n = clip.length;
  const out = new Float32Array(n);
  const g = 10 ** (aug.gainDb / 20);
  for (let i = 0; i < n; i++) out[i] = clip[(i + aug.shift) % n] * g;
  if (noise && noise.length > 0) {
    const signal = rms(out);
    const noiseRms = rms(noise);
    if (signal > 0 && noiseRms > 0) {
      const k = signal / noiseRms / 10 ** (aug.snrDb / 20);
      for (let i = 0; i < n; i++) out[i] += k * noise[(i + aug.noiseOffset) % noise.length];
    }
  }
  for (let i = 0; i < n; i++) out[i] = Math.max(-1, Math.min(1, out[i]));
  return out;
}

/** Mixup of two feature vectors (embedding or flattened map) into `out`: λ·a + (1 − λ)·b. */
export function mixInto(out: Float32Array, a: Float32Array, b: Float32Array, lambda: number): void {
  for (let i = 0; i < out.length; i++) out[i] = lambda * a[i] + (1 - lambda) * b[i];
}

export interface AugmentableClip {
  id: number;
  relPath: string;
  isCry: boolean;
  label: string;
}

/**
 * One augmentation plan per CV fold assignment: every cry clip of the train/dev split gets one copy, with
 * household noise drawn from `noise` clips of the same CV fold. Whenever the copy is used for training (its
 * clip is on the training side), its noise is on the training side too; test clips are never sources or noise.
 * With `negatives`, every household and laughter clip gets such a copy too (mixed with another household clip),
 * so that a mixture of two sounds is not a sign of crying; the cry copies stay as they are without it.
 */
export function planFoldAugmentations(
  clips: readonly AugmentableClip[],
  trainDev: readonly number[],
  foldOf: ReadonlyMap<number, number>,
  seed: number,
  policy: AugmentationPolicy = DEFAULT_AUGMENTATION,
  negatives = false,
): WaveAugmentation[] {
  const cry = trainDev.filter((i) => clips[i].isCry).map((i) => clips[i]);
  const others = negatives
    ? trainDev.filter((i) => clips[i].label === "noise" || clips[i].label === "laugh").map((i) => clips[i])
    : [];
  const noiseByFold = new Map<number, string[]>();
  for (const i of trainDev) {
    if (clips[i].label !== "noise") continue;
    const f = foldOf.get(i)!;
    const list = noiseByFold.get(f) ?? [];
    list.push(clips[i].relPath);
    noiseByFold.set(f, list);
  }
  const pool = (c: AugmentableClip) =>
    (noiseByFold.get(foldOf.get(c.id)!) ?? []).filter((n) => n !== c.relPath);
  return [
    ...planAugmentations(cry, pool, seed, policy),
    ...planAugmentations(others, pool, seed + 1, policy),
  ];
}

/** The augmented copies that may join a training set: those made from clips in `trainingIds`. */
export function copiesForTraining<C extends { clip: number }>(
  copies: readonly C[],
  trainingIds: ReadonlySet<number>,
): C[] {
  return copies.filter((c) => trainingIds.has(c.clip));
}

/** A quiet copy of a training household clip: the same sound played softly, as room background. */
export interface QuietCopy {
  /** relPath of the household clip (always a training clip of its split) */
  source: string;
  /** RMS level of the copy, dBFS (before band-limiting, as the mix measures background) */
  levelDbfs: number;
  /** samples the clip is shifted by (circularly), at 16 kHz */
  shift: number;
}

/** Levels of quiet sound in a nursery at night, dBFS RMS (the mixes place background at −50…−35, cries down to −58). */
export const QUIET_COPY_DBFS: [number, number] = [-60, -30];

/** Which training clips get a quiet copy: household clips only (as negatives), or every recorded clip alike. */
export type QuietCopiesOf = "household" | "all";

/**
 * Plans one quiet copy of training clips in `trainDev` (never a test clip). Training audio is recorded loud
 * (cries: median −26 dBFS per patch), so without quiet copies the heads never hear a quiet sound and their output
 * there is arbitrary; "all" gives every class (cries, household, laughter) the same level policy, so that loudness
 * itself carries no label.
 */
export function planQuietCopies(
  clips: readonly (AugmentableClip & { path?: string | null })[],
  trainDev: readonly number[],
  seed: number,
  of: QuietCopiesOf,
  levels: [number, number] = QUIET_COPY_DBFS,
  maxShiftSamples = DEFAULT_AUGMENTATION.maxShiftSamples,
): QuietCopy[] {
  const rand = mulberry32(seed);
  return trainDev
    .map((i) => clips[i])
    .filter((c) => c.path !== null && (of === "all" || c.label === "noise"))
    .map((c) => ({
      source: c.relPath,
      levelDbfs: levels[0] + (levels[1] - levels[0]) * rand(),
      shift: Math.floor(rand() * maxShiftSamples),
    }));
}

/** Applies a quiet copy: circular shift, then scaled to the planned RMS level. */
export function applyQuietLevel(clip: Float32Array, q: QuietCopy): Float32Array {
  const n = clip.length;
  const level = rms(clip);
  if (level === 0) throw new Error(`Expected ${q.source} to contain sound, got digital silence`);
  const g = 10 ** (q.levelDbfs / 20) / level;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = clip[(i + q.shift) % n] * g;
  return out;
}
