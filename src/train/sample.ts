import type { ClipFeatures } from "./features.js";

/** One training/evaluation example: one YAMNet patch of one clip. */
export interface Sample {
  features: ClipFeatures;
  patch: number;
  /** 1 = cry */
  cry: 0 | 1;
  /** index into REASONS, or -1 for non-cry */
  reason: number;
  /** index of the clip (for clip-level aggregation) */
  clip: number;
}

/** Both outputs' logits of a set of samples. */
export interface Logits {
  cry: Float32Array;
  /** n × 5 */
  reason: Float32Array;
}
