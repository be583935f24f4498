import { PATCH_WINDOW_SAMPLES, YAMNET_CRY_CLASSES } from "../dsp/frontend-params.js";
import { LogMelFrontend } from "../dsp/logmel.js";
import type { ModelVersions, ReasonProbabilities } from "../events.js";
import type { Analyzer, WindowAnalysis, YamnetOutput } from "./analysis.js";
import type { BackendPreference } from "./backend.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "./yamnet.js";

/**
 * The one analyzer the daemon and `babymon classify` share: 15600-sample 16 kHz windows → YAMNet log-mel
 * patches → YAMNet (scores, embedding, requested feature maps) → trained heads when loaded.
 */

/** What the analyzer needs from trained heads (src/inference/heads.ts provides it). */
export interface CryHeads {
  /** name and version, recorded with every event */
  readonly version: string;
  /** YAMNet conv layers whose feature maps the heads read (e.g. the MobileNetV3 head) */
  readonly featureLayers?: readonly number[];
  predict(outputs: YamnetOutput[]): Array<{ cry: number; reasons: ReasonProbabilities }>;
  dispose?(): void;
}

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

/** Loads heads from a folder through src/inference/heads.ts (loaded lazily: only needed when heads are used). */
export async function loadCryHeads(dir: string): Promise<CryHeads> {
  const specifier = "./heads.js";
  let mod: { loadHeads?: (dir: string) => Promise<CryHeads> | CryHeads };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    throw new Error(
      `Cannot load trained heads from ${dir}: this build has no heads module (${(err as Error).message.split("\n")[0]})`,
    );
  }
  if (typeof mod.loadHeads !== "function") {
    throw new Error(`Cannot load trained heads from ${dir}: the heads module has no loadHeads()`);
  }
  return await mod.loadHeads(dir);
}

export class YamnetAnalyzer implements Analyzer {
  readonly models: ModelVersions;
  private readonly frontend = new LogMelFrontend();

  constructor(
    private readonly yamnet: YamnetModel,
    private readonly heads: CryHeads | null,
  ) {
    this.models = { yamnet: yamnet.manifest.source.sha256, heads: heads?.version ?? null };
  }

  get backend(): string {
    return this.yamnet.backend;
  }

  /** Milliseconds YAMNet took to load. */
  get loadMs(): number {
    return this.yamnet.loadMs;
  }

  async analyze(windows: Float32Array[]): Promise<WindowAnalysis[]> {
    const patches = windows.map((w, i) => {
      if (w.length !== PATCH_WINDOW_SAMPLES) {
        throw new RangeError(
          `Expected window ${i} to have ${PATCH_WINDOW_SAMPLES} samples (0.975 s at 16 kHz), got ${w.length}`,
        );
      }
      return this.frontend.patch(w);
    });
    return this.analyzePatches(patches);
  }

  /** Same as analyze() for log-mel patches already computed (96 × 64, as logMelPatches makes). */
  async analyzePatches(patches: Float32Array[]): Promise<WindowAnalysis[]> {
    if (patches.length === 0) return [];
    const featureLayers = this.heads?.featureLayers ? [...this.heads.featureLayers] : undefined;
    const outputs = this.yamnet.predict(patches, featureLayers ? { featureLayers } : {});
    const headed = this.heads ? this.heads.predict(outputs) : null;
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
    if (typeof options.heads === "string") heads = await loadCryHeads(options.heads);
    else if (options.heads) heads = options.heads;
  } catch (err) {
    yamnet.dispose();
    throw err;
  }
  if (heads) options.log?.(`heads: ${heads.version}`);
  return new YamnetAnalyzer(yamnet, heads);
}
