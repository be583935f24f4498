import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { bandLimit } from "../dsp/band-limit.js";
import { PATCH_WINDOW_SAMPLES, YAMNET_CRY_CLASSES } from "../dsp/frontend-params.js";
import { LogMelFrontend } from "../dsp/logmel.js";
import type { ModelVersions } from "../events.js";
import { PROJECT_ROOT } from "../version.js";
import type { BackendPreference } from "./backend.js";
import { HeadsModelError } from "./heads-error.js";
import type { Analyzer, CryHeads, HeadsOperatingPoint, WindowAnalysis } from "./types.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "./yamnet.js";

/**
 * The one analyzer the daemon and `babymon classify` share: 15600-sample 16 kHz windows → YAMNet log-mel
 * patches → YAMNet (scores, embedding, requested feature maps) → trained heads when loaded.
 */

export interface AnalyzerOptions {
  /** YAMNet model folder written by `npm run models` (default models/yamnet) */
  modelDir?: string;
  /** TF.js backend (default auto: node, then wasm, then cpu) */
  backend?: BackendPreference;
  /** trained heads: already loaded, or a folder to load them from; none → YAMNet's own cry score */
  heads?: CryHeads | string | null;
  /** receives one-line notes (which backend, which heads) */
  log?: (line: string) => void;
}

/** YAMNet's own cry score for one patch: max of "Crying, sobbing", "Baby cry, infant cry", "Whimper". */
export function yamnetCryScore(scores: Float32Array | Float64Array): number {
  let best = 0;
  for (const c of YAMNET_CRY_CLASSES) best = Math.max(best, scores[c]);
  return best;
}

/** Folders under `modelsDir` holding trained heads (manifest.json with format "babymon-heads"), newest first. */
export function findHeadsDirs(modelsDir = join(PROJECT_ROOT, "models")): string[] {
  if (!existsSync(modelsDir)) return [];
  const found: Array<{ dir: string; mtime: number }> = [];
  for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifest = join(modelsDir, entry.name, "manifest.json");
    if (!existsSync(manifest)) continue;
    try {
      const m = JSON.parse(readFileSync(manifest, "utf8")) as { format?: string };
      if (m.format === "babymon-heads")
        found.push({ dir: join(modelsDir, entry.name), mtime: statSync(manifest).mtimeMs });
    } catch {
      // not a heads folder
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.dir);
}

/**
 * Loads heads from a folder with src/inference/heads.ts (imported lazily: tfjs-layers is only needed with
 * heads), checking they were trained on the YAMNet whose TFLite source has sha256 `yamnetSha256`.
 */
export async function loadCryHeads(dir: string, yamnetSha256: string): Promise<CryHeads> {
  try {
    if (isPatchModelDir(dir)) {
      const { PatchModel } = await import("./patch-model.js");
      return await PatchModel.load(dir);
    }
    const { loadHeads } = await import("./heads.js");
    const heads: CryHeads = await loadHeads(dir, yamnetSha256);
    return heads;
  } catch (err) {
    throw err instanceof HeadsModelError ? err : new HeadsModelError(dir, (err as Error).message);
  }
}

/** Whether `dir`'s manifest.json names a log-mel-patch model (`"input": "logmel-patch"`); false when unreadable. */
export function isPatchModelDir(dir: string): boolean {
  try {
    return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"))?.input === "logmel-patch";
  } catch {
    return false; // the heads' loader says what is wrong with the folder
  }
}

export class YamnetAnalyzer implements Analyzer {
  readonly models: ModelVersions;
  readonly headsOperatingPoint: HeadsOperatingPoint | null;
  private readonly frontend = new LogMelFrontend();

  constructor(
    private readonly yamnet: YamnetModel,
    private readonly heads: CryHeads | null,
  ) {
    this.models = { yamnet: yamnet.manifest.source.sha256, heads: heads?.version ?? null };
    this.headsOperatingPoint = heads?.thresholds ?? null;
  }

  get backend(): string {
    return this.yamnet.backend;
  }

  /** Milliseconds YAMNet took to load. */
  get loadMs(): number {
    return this.yamnet.loadMs;
  }

  /**
   * Band limit (Hz) applied to every window before the log-mel, because the loaded heads were trained on
   * band-limited audio; 0 without heads or for full-band heads. analyze()'s YAMNet scores then come from the
   * same band-limited audio (one YAMNet pass serves both: the daemon's veto was tuned on them); `classify`
   * adds a full-band pass for the AudioSet classes it shows (fullBandPatchOf, analyzeYamnetOnly).
   */
  get bandLimitHz(): number {
    return this.heads?.bandLimitHz ?? 0;
  }

  /**
   * The log-mel patch of one 15600-sample 16 kHz window as analyze() computes it (band-limited first when the
   * heads need it; the window's ends see silence beyond them, a ≤ 4 ms edge effect). Writes into `out`.
   */
  patchOf(window: Float32Array, out?: Float32Array): Float32Array {
    if (window.length !== PATCH_WINDOW_SAMPLES) {
      throw new RangeError(
        `Expected a window of ${PATCH_WINDOW_SAMPLES} samples (0.975 s at 16 kHz), got ${window.length}`,
      );
    }
    const limit = this.bandLimitHz;
    return this.frontend.patch(limit > 0 ? bandLimit(window, limit) : window, out);
  }

  /**
   * The log-mel patch of a window with no band limit: what YAMNet's AudioSet classes were trained to hear.
   * `classify` shows those classes from full-band audio even when the heads need band-limited audio.
   */
  fullBandPatchOf(window: Float32Array, out?: Float32Array): Float32Array {
    return this.frontend.patch(window, out);
  }

  /** YAMNet alone on patches (no heads): scores, embedding and YAMNet's cry score, copied out of the batch. */
  analyzeYamnetOnly(patches: Float32Array[]): Array<{ scores: Float32Array; yamnetCry: number }> {
    if (patches.length === 0) return [];
    return this.yamnet
      .predict(patches)
      .map((o) => ({ scores: o.scores.slice(), yamnetCry: yamnetCryScore(o.scores) }));
  }

  async analyze(windows: Float32Array[]): Promise<WindowAnalysis[]> {
    return this.analyzePatches(windows.map((w) => this.patchOf(w)));
  }

  /** Same as analyze() for patches already made by patchOf() (96 × 64 log-mel, row-major). */
  async analyzePatches(patches: Float32Array[]): Promise<WindowAnalysis[]> {
    if (patches.length === 0) return [];
    const featureLayers = this.heads?.featureLayers ? [...this.heads.featureLayers] : undefined;
    const outputs = this.yamnet.predict(patches, featureLayers ? { featureLayers } : {});
    const headed = this.heads
      ? this.heads.predictPatches
        ? this.heads.predictPatches(patches)
        : this.heads.predict(outputs)
      : null;
    return outputs.map((o, i) => {
      const yamnetCry = yamnetCryScore(o.scores);
      const h = headed?.[i];
      return { ...o, yamnetCry, cry: h ? h.cry : yamnetCry, reasons: h ? h.reasons : null };
    });
  }

  dispose(): void {
    this.heads?.dispose?.();
    this.yamnet.dispose();
  }
}

/** Loads YAMNet (and the heads, when given) and returns the analyzer. */
export async function createAnalyzer(options: AnalyzerOptions = {}): Promise<YamnetAnalyzer> {
  const yamnet = await YamnetModel.load(options.modelDir ?? DEFAULT_YAMNET_DIR, {
    backend: options.backend,
    log: options.log,
  });
  let heads: CryHeads | null = null;
  try {
    if (typeof options.heads === "string")
      heads = await loadCryHeads(options.heads, yamnet.manifest.source.sha256);
    else if (options.heads) heads = options.heads;
  } catch (err) {
    yamnet.dispose();
    throw err;
  }
  if (heads) {
    const limit = heads.bandLimitHz ? `, audio band-limited to ${heads.bandLimitHz} Hz` : "";
    options.log?.(`heads: ${heads.version}${limit}`);
  }
  return new YamnetAnalyzer(yamnet, heads);
}
