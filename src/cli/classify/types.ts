import type { ModelVersions, ReasonProbabilities } from "../../events.js";

/** `babymon classify --json` output, schema version CLASSIFY_SCHEMA_VERSION (README.md, "classify --json schema"). */
export const CLASSIFY_SCHEMA_VERSION = 1;

export interface ClassScore {
  index: number;
  name: string;
  score: number;
}

export interface PatchResult {
  index: number;
  startSec: number;
  endSec: number;
  top: ClassScore[];
  yamnetCry: number;
  cry: number;
  reasons: ReasonProbabilities | null;
}

export interface FileResultOk {
  path: string;
  ok: true;
  format: string;
  sampleRate: number;
  channels: number;
  durationSec: number;
  patches: number;
  /** the file was shorter than one 0.975 s window and was padded with silence */
  padded: boolean;
  top: ClassScore[];
  cry: {
    /** max over classes 19, 20, 21 of the patch-mean scores */
    yamnet: number;
    /** max over patches of the per-patch YAMNet cry score */
    yamnetPeak: number;
    /** mean over patches of the heads' cry probability, or null without heads */
    heads: number | null;
    /** max over patches of the heads' cry probability, or null without heads */
    headsPeak: number | null;
  };
  /** heads' reason probabilities averaged over patches weighted by their cry probability, or null */
  reasons: ReasonProbabilities | null;
  perPatch?: PatchResult[];
  elapsedMs: number;
}

export interface FileResultError {
  path: string;
  ok: false;
  error: string;
}

export type FileResult = FileResultOk | FileResultError;

export interface ClassifyOutput {
  schemaVersion: typeof CLASSIFY_SCHEMA_VERSION;
  babymon: string;
  backend: string;
  models: ModelVersions;
  /** the heads' input was band-limited to this many Hz because they were trained so (the AudioSet classes and
   * YAMNet's cry score always come from full-band audio); 0 = full band */
  bandLimitHz: number;
  top: number;
  files: FileResult[];
}

export interface ClassifyOptions {
  top: number;
  perPatch: boolean;
  /** windows per YAMNet call */
  batch?: number;
}
