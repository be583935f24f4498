import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bandLimit } from "../dsp/band-limit.js";
import { PATCH_WINDOW_SAMPLES } from "../dsp/frontend-params.js";
import { LogMelFrontend } from "../dsp/logmel.js";
import { yamnetCryScore } from "../inference/analyzer.js";
import type { YamnetModel } from "../inference/yamnet.js";
import { sha256Hex } from "../util/sha256.js";

/** Bump when the cached layout or the way features are computed changes. */
const CACHE_FORMAT = 3;
export const EMBEDDING_DIM = 1024;

/** YAMNet features of the (sub-sampled) patches of one clip. */
export interface ClipFeatures {
  patches: number;
  /** patches × 1024 */
  embeddings: Float32Array;
  /** YAMNet's own cry score (max of classes 19, 20, 21) per patch */
  yamnetCry: Float32Array;
  /** patches × h·w·c feature map of `featureLayer`, uint8 with one scale per patch (the map is ReLU ≥ 0) */
  maps: Uint8Array;
  mapScales: Float32Array;
  /** the unquantized maps, when kept (reference predictions for the exported model) */
  mapsFloat?: Float32Array;
  /** the cache key these features were stored under (FeatureExtractor.get), naming exactly what they are */
  key?: string;
}

export interface ExtractorOptions {
  featureLayer: number;
  /** keep every `patchStride`-th patch (2 → windows 0.96 s apart, no overlap) */
  patchStride: number;
  /** cache folder, or null for no cache */
  cacheDir: string | null;
}

/**
 * Computes and caches YAMNet embeddings and one intermediate feature map per patch. Cache entries are
 * keyed by what the features depend on: the audio (file sha256 or generator parameters), the
 * preprocessing variant (band limit, augmentation), the YAMNet weights, the feature layer and stride.
 */
export class FeatureExtractor {
  readonly mapShape: [number, number, number];
  readonly mapSize: number;
  hits = 0;
  misses = 0;
  private readonly modelKey: string;
  private readonly logMel = new LogMelFrontend();

  constructor(
    private readonly model: YamnetModel,
    readonly options: ExtractorOptions,
  ) {
    const shape = model.layerShapes[options.featureLayer];
    if (!shape) {
      throw new RangeError(
        `Expected \`featureLayer\` to be a YAMNet conv layer between 1 and ${model.convLayerCount}, got ${options.featureLayer}`,
      );
    }
    this.mapShape = shape;
    this.mapSize = shape[0] * shape[1] * shape[2];
    this.modelKey = `${model.manifest.source.sha256}:${model.manifest.weights.sha256}`;
    if (options.cacheDir) mkdirSync(options.cacheDir, { recursive: true });
  }

  cacheKey(audioKey: string, variant: string): string {
    const o = this.options;
    return sha256Hex(
      `${CACHE_FORMAT}|${this.modelKey}|${audioKey}|${variant}|L${o.featureLayer}|s${o.patchStride}`,
    );
  }

  /** Features for `audioKey` + `variant`, from the cache or by running `produce()` (16 kHz samples) through YAMNet. */
  async get(
    audioKey: string,
    variant: string,
    produce: () => Promise<Float32Array> | Float32Array,
  ): Promise<ClipFeatures> {
    const key = this.cacheKey(audioKey, variant);
    const file = this.options.cacheDir ? join(this.options.cacheDir, `${key}.bin`) : null;
    if (file && existsSync(file)) {
      const cached = this.read(file);
      if (cached) {
        this.hits++;
        return { ...cached, key };
      }
    }
    this.misses++;
    const features = this.extract(await produce());
    if (file) this.write(file, features);
    return { ...features, key };
  }

  /** YAMNet on the patches of 16 kHz audio (zero-padded to one window when shorter). */
  extract(samples16k: Float32Array, keepFloatMaps = false): ClipFeatures {
    let audio = samples16k;
    if (audio.length < PATCH_WINDOW_SAMPLES) {
      audio = new Float32Array(PATCH_WINDOW_SAMPLES);
      audio.set(samples16k);
    }
    const patches = this.logMel.patches(audio).filter((_, i) => i % this.options.patchStride === 0);
    const outputs = this.model.predict(patches, { featureLayers: [this.options.featureLayer] });
    const n = outputs.length;
    const embeddings = new Float32Array(n * EMBEDDING_DIM);
    const yamnetCry = new Float32Array(n);
    const maps = new Uint8Array(n * this.mapSize);
    const mapScales = new Float32Array(n);
    const mapsFloat = keepFloatMaps ? new Float32Array(n * this.mapSize) : undefined;
    outputs.forEach((o, i) => {
      embeddings.set(o.embedding, i * EMBEDDING_DIM);
      yamnetCry[i] = yamnetCryScore(o.scores);
      const map = o.featureMaps![this.options.featureLayer].data;
      mapsFloat?.set(map, i * this.mapSize);
      let max = 0;
      for (const v of map) if (v > max) max = v;
      const scale = max > 0 ? max / 255 : 1;
      mapScales[i] = scale;
      const base = i * this.mapSize;
      for (let j = 0; j < map.length; j++) maps[base + j] = Math.round(Math.max(0, map[j]) / scale);
    });
    return { patches: n, embeddings, yamnetCry, maps, mapScales, mapsFloat };
  }

  private write(file: string, f: ClipFeatures): void {
    const header = new Uint32Array([CACHE_FORMAT, f.patches, this.mapSize]);
    const parts = [
      new Uint8Array(header.buffer),
      new Uint8Array(f.embeddings.buffer, f.embeddings.byteOffset, f.embeddings.byteLength),
      new Uint8Array(f.yamnetCry.buffer, f.yamnetCry.byteOffset, f.yamnetCry.byteLength),
      new Uint8Array(f.mapScales.buffer, f.mapScales.byteOffset, f.mapScales.byteLength),
      f.maps,
    ];
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat(parts));
    renameSync(tmp, file);
  }

  private read(file: string): ClipFeatures | null {
    const buf = readFileSync(file);
    if (buf.length < 12) return null;
    const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const [format, n, mapSize] = new Uint32Array(bytes.buffer, 0, 3);
    if (format !== CACHE_FORMAT || mapSize !== this.mapSize) return null;
    const expected = 12 + n * (EMBEDDING_DIM * 4 + 4 + 4 + mapSize);
    if (bytes.length !== expected) return null;
    let at = 12;
    const embeddings = new Float32Array(bytes.buffer, at, n * EMBEDDING_DIM);
    at += n * EMBEDDING_DIM * 4;
    const yamnetCry = new Float32Array(bytes.buffer, at, n);
    at += n * 4;
    const mapScales = new Float32Array(bytes.buffer, at, n);
    at += n * 4;
    const maps = new Uint8Array(bytes.buffer, at, n * mapSize);
    return { patches: n, embeddings, yamnetCry, maps, mapScales };
  }
}

/** The band-limiting policy: 0 = off (full band), else low-pass every clip at this frequency. */
export function applyBandLimit(samples16k: Float32Array, bandLimitHz: number): Float32Array {
  return bandLimitHz > 0 ? bandLimit(samples16k, bandLimitHz) : samples16k;
}
