import { bandLimit } from "../dsp/band-limit.js";
import { PATCH_WINDOW_SAMPLES } from "../dsp/frontend-params.js";
import { LogMelFrontend } from "../dsp/logmel.js";
import type { ModelVersions, ReasonProbabilities } from "../events.js";
import { yamnetCryScore } from "./analyzer.js";
import type { BackendPreference } from "./backend.js";
import {
  calibrate,
  classesLogit,
  type Detector,
  type DetectorPoint,
  logit,
  readDetector,
} from "./detector.js";
import { HeadsModelError } from "./heads-error.js";
import { readManifestJson } from "./manifest-file.js";
import type { SequenceModel } from "./sequence-model.js";
import type {
  AnalyzeOptions,
  Analyzer,
  HeadsOperatingPoint,
  ReasonHeads,
  WindowAnalysis,
  YamnetOutput,
} from "./types.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "./yamnet.js";

/**
 * The analyzer for heads whose manifest has a `detector` block: the cry probability comes from one full-band YAMNet
 * pass per window (YAMNet's cry score, a linear combination of its class logits, or the sequence model over the last
 * windows' class logits), calibrated as the block says. The reason heads need their own band-limited YAMNet pass and feature maps: they run only for the
 * windows the pipeline asks reasons for (`reasonsAbove`: the windows over the episode threshold, the ones an
 * episode's reason is averaged over), and are loaded the first time such a window comes.
 */
export class DetectorAnalyzer implements Analyzer {
  readonly models: ModelVersions;
  /** the reason heads' `unsure` from their manifest; their episode point does not apply (the detector's does) */
  readonly headsOperatingPoint: HeadsOperatingPoint | null;
  readonly detectorPoint: DetectorPoint;
  /** YAMNet forward passes, per window: full band (every window) and band-limited (reason windows only) */
  readonly passes = { fullBand: 0, bandLimited: 0 };
  private readonly frontend = new LogMelFrontend();
  private heads: ReasonHeads | null = null;
  private headsLoading: Promise<ReasonHeads | null> | null = null;
  private headsFailed = false;
  /** the manifest's measured constant reasons, when they were measured on these heads: given without the heads */
  readonly constantReasons: ReasonProbabilities | null;

  constructor(
    private readonly yamnet: YamnetModel,
    readonly detector: Detector,
    private readonly headsDir: string,
    headsVersion: string,
    unsure: number | undefined,
    private readonly sequence: SequenceModel | null,
    private readonly log?: (line: string) => void,
  ) {
    this.models = { yamnet: yamnet.manifest.source.sha256, heads: headsVersion };
    this.detectorPoint = detector.point;
    this.headsOperatingPoint = unsure === undefined ? null : { unsure };
    const r = detector.reasons;
    this.constantReasons = r && r.headsVersion === headsVersion ? r.probabilities : null;
  }

  get backend(): string {
    return this.yamnet.backend;
  }

  /** True once the reason heads are loaded (the first window that needed a reason loaded them). */
  get reasonHeadsLoaded(): boolean {
    return this.heads !== null;
  }

  reset(): void {
    this.sequence?.reset();
  }

  async analyze(windows: Float32Array[], options: AnalyzeOptions = {}): Promise<WindowAnalysis[]> {
    if (windows.length === 0) return [];
    windows.forEach((w, i) => {
      if (w.length !== PATCH_WINDOW_SAMPLES) {
        throw new RangeError(
          `Expected window ${i} to have ${PATCH_WINDOW_SAMPLES} samples (0.975 s at 16 kHz), got ${w.length}`,
        );
      }
    });
    const patches = windows.map((w) => this.frontend.patch(w));
    const outputs = this.yamnet.predict(patches, {
      logits: this.sequence !== null || this.detector.source === "classes",
    });
    this.passes.fullBand += windows.length;
    const cry = this.cryOf(outputs);
    const above = options.reasonsAbove ?? Number.NEGATIVE_INFINITY;
    const need = windows.flatMap((_, i) => (cry[i] > above ? [i] : []));
    const reasons =
      need.length === 0
        ? null
        : this.constantReasons
          ? need.map(() => ({ ...this.constantReasons! }))
          : await this.reasonsOf(need.map((i) => windows[i]));
    return outputs.map((o, i) => {
      const at = need.indexOf(i);
      return {
        scores: o.scores,
        embedding: o.embedding,
        ...(o.logits ? { logits: o.logits } : {}),
        yamnetCry: yamnetCryScore(o.scores),
        cry: cry[i],
        reasons: at >= 0 && reasons ? reasons[at] : null,
      };
    });
  }

  /** The calibrated cry probability of each window (the sequence model's history advances). */
  private cryOf(outputs: YamnetOutput[]): number[] {
    const c = this.detector.calibration;
    if (this.sequence) {
      const z = this.sequence.logits(outputs.map((o) => o.logits!));
      return Array.from(z, (x) => calibrate(x, c));
    }
    const classes = this.detector.source === "classes" ? this.detector.classes : undefined;
    if (classes) return outputs.map((o) => calibrate(classesLogit(o.logits!, classes), c));
    return outputs.map((o) => calibrate(logit(yamnetCryScore(o.scores)), c));
  }

  /** Reason probabilities from the heads' band-limited pass; null when the heads cannot be loaded. */
  private async reasonsOf(windows: Float32Array[]): Promise<ReasonProbabilities[] | null> {
    const heads = await this.reasonHeads();
    if (!heads) return null;
    const limit = heads.bandLimitHz ?? 0;
    const patches = windows.map((w) => this.frontend.patch(limit > 0 ? bandLimit(w, limit) : w));
    const featureLayers = heads.featureLayers ? [...heads.featureLayers] : undefined;
    const outputs = this.yamnet.predict(patches, featureLayers ? { featureLayers } : {});
    this.passes.bandLimited += windows.length;
    return heads.reasons(outputs);
  }

  private reasonHeads(): Promise<ReasonHeads | null> {
    if (this.heads || this.headsFailed) return Promise.resolve(this.heads);
    // imported here: TF.js layers (about 14 MB of RSS) only once a window needs a reason
    this.headsLoading ??= import("./heads.js")
      .then(({ loadReasonHeads }) => loadReasonHeads(this.headsDir, this.yamnet.manifest.source.sha256))
      .then(
        (heads) => {
          this.heads = heads;
          this.log?.(`reason heads loaded: ${heads.version}`);
          return heads;
        },
        (err: Error) => {
          // the cry detection goes on without reasons ("unsure")
          this.headsFailed = true;
          this.log?.(`reason heads not usable, every reason is "unsure": ${err.message}`);
          return null;
        },
      );
    return this.headsLoading;
  }

  dispose(): void {
    this.heads?.dispose();
    this.sequence?.dispose();
    this.yamnet.dispose();
  }
}

/**
 * The heads' name, version and `thresholds.unsure` from their manifest, read without loading their weights (nor
 * TF.js layers); refuses heads trained on another YAMNet at start, not at the first cry.
 */
function headsIdentity(headsDir: string, yamnetSha256: string): { version: string; unsure?: number } {
  const m = readManifestJson(headsDir) as {
    name?: unknown;
    version?: unknown;
    yamnet?: { sourceSha256?: unknown };
    thresholds?: { unsure?: unknown };
  };
  if (typeof m.name !== "string" || typeof m.version !== "string")
    throw new HeadsModelError(headsDir, "manifest.json: `name` and `version` must be strings");
  if (m.yamnet?.sourceSha256 !== yamnetSha256) {
    throw new HeadsModelError(
      headsDir,
      `manifest.json: \`yamnet.sourceSha256\` is ${String(m.yamnet?.sourceSha256)}, but the loaded YAMNet has sha256 ${yamnetSha256}; retrain with \`npm run train-export\` or use the matching YAMNet`,
    );
  }
  const unsure = m.thresholds?.unsure;
  return { version: `${m.name}@${m.version}`, unsure: typeof unsure === "number" ? unsure : undefined };
}

export interface DetectorAnalyzerOptions {
  /** YAMNet model folder (default models/yamnet) */
  modelDir?: string;
  backend?: BackendPreference;
  /** the heads folder whose manifest has the detector block */
  headsDir: string;
  /** the block, already read (readDetector) */
  detector: Detector;
  log?: (line: string) => void;
}

/** Loads YAMNet and the detector's own model (the sequence model, if any); the reason heads load when needed. */
export async function createDetectorAnalyzer(o: DetectorAnalyzerOptions): Promise<DetectorAnalyzer> {
  const yamnet = await YamnetModel.load(o.modelDir ?? DEFAULT_YAMNET_DIR, { backend: o.backend, log: o.log });
  try {
    const { version, unsure } = headsIdentity(o.headsDir, yamnet.manifest.source.sha256);
    let sequence: SequenceModel | null = null;
    const seq = o.detector.sequence;
    if (o.detector.source === "sequence" && seq) {
      const { SequenceModel } = await import("./sequence-model.js");
      sequence = await SequenceModel.load(o.headsDir, seq.dir, seq.windows);
    }
    const what =
      o.detector.source === "sequence"
        ? `sequence model over ${seq?.windows} windows`
        : o.detector.source === "classes"
          ? `linear combination of YAMNet's class logits ${o.detector.classes?.indices.join(", ")}`
          : "YAMNet's cry score";
    const r = o.detector.reasons;
    const reasons = !r
      ? `${version} when a window is over the threshold`
      : r.headsVersion === version
        ? `${version}'s, the same for every sound (within ${r.maxDeviation} over the benchmark's ${r.windows} windows, manifest detector.reasons): given without running the heads`
        : `${version} when a window is over the threshold (detector.reasons was measured on ${r.headsVersion}, not these heads)`;
    o.log?.(
      `detector: ${what}, calibrated (a ${o.detector.calibration.a}, b ${o.detector.calibration.b}), one full-band YAMNet pass; reasons: ${reasons}`,
    );
    return new DetectorAnalyzer(yamnet, o.detector, o.headsDir, version, unsure, sequence, o.log);
  } catch (err) {
    yamnet.dispose();
    throw err instanceof HeadsModelError ? err : new HeadsModelError(o.headsDir, (err as Error).message);
  }
}

export { readDetector };
