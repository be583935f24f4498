import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../util/sha256.js";
import { PROJECT_ROOT } from "../version.js";
import { SHARED_CLASS_MAP } from "./class-map.js";
import { importYamnetTflite } from "./yamnet-import.js";
import {
  CLASS_MAP_FILE,
  MANIFEST_FORMAT_VERSION,
  modelFolderBytes,
  readManifest,
  readWeights,
  writeYamnetModel,
  type YamnetManifest,
} from "./yamnet-store.js";

/** The TFLite file `npm run models` uses when neither --tflite, BABYMON_YAMNET_TFLITE nor --url is given. */
export const SHARED_YAMNET_TFLITE = join(
  PROJECT_ROOT,
  "..",
  "shared",
  "models",
  "yamnet",
  "yamnet-frames-dynamic-int8.tflite",
);
export const CLASSIFIER_TFLITE_NAME = "yamnet-classifier-int8.tflite";

export interface BuildOptions {
  /** Local TFLite file (takes precedence over BABYMON_YAMNET_TFLITE and the shared default). */
  tflite?: string;
  /** http(s):// or file:// address to download the TFLite file from. */
  url?: string;
  /** Output folder; default models/yamnet (models/yamnet-classifier for yamnet-classifier-int8.tflite). */
  out?: string;
  /** Rebuild even when the folder is up to date. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface BuildResult {
  source: string;
  outDir: string;
  /** "built" when written now, "up-to-date" when the folder already held this source. */
  status: "built" | "up-to-date";
  manifest: YamnetManifest;
  bytesOnDisk: number;
  ms: number;
}

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

/** Where the source comes from, in the documented order. */
export function resolveSource(opts: BuildOptions): { kind: "file" | "url"; location: string; name: string } {
  if (opts.url && opts.tflite) throw new ModelSourceError("Give either --tflite or --url, not both");
  if (opts.url) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new ModelSourceError(
        `Expected \`--url\` to be an http(s):// or file:// address, got ${JSON.stringify(opts.url)}`,
      );
    }
    if (!["http:", "https:", "file:"].includes(url.protocol)) {
      throw new ModelSourceError(
        `Expected \`--url\` to be an http(s):// or file:// address, got ${url.protocol}`,
      );
    }
    return { kind: "url", location: url.href, name: basename(decodeURIComponent(url.pathname)) };
  }
  const env = opts.env ?? process.env;
  const path = opts.tflite ?? env.BABYMON_YAMNET_TFLITE ?? SHARED_YAMNET_TFLITE;
  return { kind: "file", location: resolve(path), name: basename(path) };
}

async function readSource(src: { kind: "file" | "url"; location: string }): Promise<Uint8Array> {
  if (src.kind === "file" || src.location.startsWith("file:")) {
    const path = src.kind === "file" ? src.location : fileURLToPath(src.location);
    if (!existsSync(path)) {
      const hint =
        path === SHARED_YAMNET_TFLITE
          ? " (the default; pass --tflite PATH, set BABYMON_YAMNET_TFLITE, or --url URL)"
          : "";
      throw new ModelSourceError(`YAMNet TFLite file not found: ${path}${hint}`);
    }
    return new Uint8Array(readFileSync(path));
  }
  let response: Response;
  try {
    response = await fetch(src.location, { redirect: "follow" });
  } catch (err) {
    throw new ModelSourceError(`Cannot download ${src.location}: ${(err as Error).message}`);
  }
  if (!response.ok) throw new ModelSourceError(`Cannot download ${src.location}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function defaultOutDir(name: string): string {
  return join(PROJECT_ROOT, "models", name === CLASSIFIER_TFLITE_NAME ? "yamnet-classifier" : "yamnet");
}

/** The folder already holds a complete model built from the source with this sha256. */
function upToDate(dir: string, sha256: string): YamnetManifest | null {
  try {
    const manifest = readManifest(dir);
    if (!manifest || manifest.source.sha256 !== sha256 || manifest.formatVersion !== MANIFEST_FORMAT_VERSION)
      return null;
    readWeights(dir, manifest);
    if (manifest.classMap && !existsSync(join(dir, manifest.classMap.file))) return null;
    return manifest;
  } catch {
    return null;
  }
}

/** Imports a YAMNet TFLite file into a TF.js model folder (see yamnet-store.ts); idempotent. */
export async function buildYamnetModel(opts: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const src = resolveSource(opts);
  const outDir = resolve(opts.out ?? defaultOutDir(src.name));
  const bytes = await readSource(src);
  const sha256 = sha256Hex(bytes);
  const existing = opts.force ? null : upToDate(outDir, sha256);
  if (existing) {
    return {
      source: src.location,
      outDir,
      status: "up-to-date",
      manifest: existing,
      bytesOnDisk: modelFolderBytes(outDir, existing),
      ms: performance.now() - t0,
    };
  }
  const imported = importYamnetTflite(bytes, src.kind === "file" ? src.location : src.name);
  imported.source.file = src.name;
  const classMapPath =
    src.kind === "file" && existsSync(join(dirname(src.location), CLASS_MAP_FILE))
      ? join(dirname(src.location), CLASS_MAP_FILE)
      : SHARED_CLASS_MAP;
  const classMap = existsSync(classMapPath) ? new Uint8Array(readFileSync(classMapPath)) : null;
  const written = writeYamnetModel(imported, outDir, classMap);
  return {
    source: src.location,
    outDir,
    status: "built",
    manifest: written.manifest,
    bytesOnDisk: written.bytesOnDisk,
    ms: performance.now() - t0,
  };
}
