import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PATCH_SIZE, PATCH_WINDOW_SAMPLES } from "../../dsp/frontend-params.js";
import { LogMelFrontend } from "../../dsp/logmel.js";
import { applyAugmentation, applyQuietLevel, type QuietCopy, type WaveAugmentation } from "../augment.js";
import { applyBandLimit, type ClipFeatures } from "../features.js";
import { clipAudio16k } from "../stages/data.js";
import type { AugCopy, RunClip } from "../types.js";

/** Bump when the cached layout changes. */
const PATCH_CACHE_FORMAT = 1;

/**
 * The log-mel patches (96 × 64, YAMNet's own frontend) behind each YAMNet feature set of the run, patch for
 * patch: the patch archs train on the very patches whose embeddings the YAMNet heads train on, so both sides
 * share the samples, labels, splits and augmented copies.
 */
export class PatchStore {
  private readonly byFeatures = new WeakMap<ClipFeatures, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(private readonly cacheDir: string | null) {
    if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  }

  /** patches × PATCH_SIZE values of the log-mel patches of `features` (throws when not extracted). */
  of(features: ClipFeatures): Float32Array {
    const p = this.byFeatures.get(features);
    if (!p)
      throw new Error(`No log-mel patches for features ${features.key ?? "(no key)"}: extract them first`);
    return p;
  }

  has(features: ClipFeatures): boolean {
    return this.byFeatures.has(features);
  }

  /** Reads the patches of `features` from the cache, or computes them from `audio()` (the same audio YAMNet saw). */
  async add(
    features: ClipFeatures,
    stride: number,
    audio: () => Promise<Float32Array> | Float32Array,
  ): Promise<void> {
    if (this.byFeatures.has(features)) return;
    const file = this.cacheDir && features.key ? join(this.cacheDir, `${features.key}.bin`) : null;
    let patches = file ? readCached(file, features.patches) : null;
    if (patches) this.hits++;
    else {
      this.misses++;
      patches = logMelPatches(await audio(), stride);
      if (patches.length !== features.patches * PATCH_SIZE) {
        throw new Error(
          `Expected ${features.patches} log-mel patches (as many as YAMNet features ${features.key}), got ${patches.length / PATCH_SIZE}`,
        );
      }
      if (file) writeCached(file, patches);
    }
    this.byFeatures.set(features, patches);
  }
}

/** Every `stride`-th 96 × 64 patch of 16 kHz audio, zero-padded to one window as FeatureExtractor.extract does. */
export function logMelPatches(samples16k: Float32Array, stride: number): Float32Array {
  let audio = samples16k;
  if (audio.length < PATCH_WINDOW_SAMPLES) {
    audio = new Float32Array(PATCH_WINDOW_SAMPLES);
    audio.set(samples16k);
  }
  const kept = new LogMelFrontend().patches(audio).filter((_, i) => i % stride === 0);
  const out = new Float32Array(kept.length * PATCH_SIZE);
  kept.forEach((p, i) => {
    out.set(p, i * PATCH_SIZE);
  });
  return out;
}

function readCached(file: string, patches: number): Float32Array | null {
  if (!existsSync(file)) return null;
  const buf = readFileSync(file);
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (bytes.length !== 8 + patches * PATCH_SIZE * 4) return null;
  const [format, n] = new Uint32Array(bytes.buffer, 0, 2);
  if (format !== PATCH_CACHE_FORMAT || n !== patches) return null;
  return new Float32Array(bytes.buffer, 8, patches * PATCH_SIZE);
}

function writeCached(file: string, patches: Float32Array): void {
  const header = new Uint32Array([PATCH_CACHE_FORMAT, patches.length / PATCH_SIZE]);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    Buffer.concat([
      new Uint8Array(header.buffer),
      new Uint8Array(patches.buffer, patches.byteOffset, patches.byteLength),
    ]),
  );
  renameSync(tmp, file);
}

/** The 16 kHz audio of an augmented or quiet copy, made exactly as stages/features.ts made it for YAMNet. */
async function copyAudio(
  copy: AugCopy,
  byRel: Map<string, RunClip>,
  bandLimitHz: number,
): Promise<Float32Array> {
  const src = await clipAudio16k(byRel.get(copy.aug.source)!);
  if (isWaveAugmentation(copy.aug)) {
    const noise = copy.aug.noise ? await clipAudio16k(byRel.get(copy.aug.noise)!) : null;
    return applyBandLimit(applyAugmentation(src, noise, copy.aug), bandLimitHz);
  }
  return applyBandLimit(applyQuietLevel(src, copy.aug), bandLimitHz);
}

function isWaveAugmentation(a: WaveAugmentation | QuietCopy): a is WaveAugmentation {
  return "snrDb" in a;
}

/**
 * Adds the log-mel patches of every clip's features (band-limited and full-band) and of every augmented copy
 * to `store`, computing the ones the cache does not have.
 */
export async function extractPatches(
  store: PatchStore,
  clips: readonly RunClip[],
  copies: readonly AugCopy[],
  o: { patchStride: number; bandLimitHz: number; log: (line: string) => void },
): Promise<number> {
  const t0 = performance.now();
  const byRel = new Map(clips.map((c) => [c.relPath, c]));
  for (const c of clips) {
    if (c.feats)
      await store.add(c.feats, o.patchStride, async () =>
        applyBandLimit(await clipAudio16k(c), o.bandLimitHz),
      );
    if (c.featsFull) await store.add(c.featsFull, o.patchStride, () => clipAudio16k(c));
  }
  for (const a of copies) await store.add(a.feats, o.patchStride, () => copyAudio(a, byRel, o.bandLimitHz));
  const seconds = (performance.now() - t0) / 1000;
  o.log(`Log-mel patches: ${store.hits} cached, ${store.misses} computed in ${seconds.toFixed(1)} s`);
  return seconds;
}
