import {
  type EvidenceHeadOptions,
  type EvidenceHeadWeights,
  evidenceInputs,
  evidenceLogits,
  fitEvidenceHead,
  INPUT_DIM,
  type TrainingSet,
  type YamnetClassifier,
} from "../../train/evidence-head.js";
import { mulberry32 } from "../../train/random.js";
import { groupBalancedWeights } from "../../train/sequence-data.js";
import type { FoldFeatures } from "./features.js";
import { CRY, LEFT_OUT, windowLabels } from "./labels.js";

/**
 * A candidate head trained per fold on the other folds' streams only, so every window it scores comes from sources
 * it never heard. `bands` says which copies of each training window it learns from: the full band (16 kHz, and the
 * 8 kHz cries without an original, already band-limited) and/or the 4 kHz band-limited copy.
 */
export interface CandidateSpec {
  name: string;
  bands: ReadonlyArray<"full" | "limited">;
  head: EvidenceHeadOptions;
  /** keep every n-th background-only window (they are the bulk and the easiest) */
  backgroundEvery: number;
  /** each window once, in one of `bands` drawn at random (seeded), instead of once per band: half the training cost */
  oneBandPerWindow: boolean;
  /**
   * learn only from the stretches the stream plays full band (16 kHz cries and negatives, in `bands`' copies), none
   * of the 8 kHz-only cries and the band-limited stretches around them: what tells a phone clip from a room is then
   * nothing the head can learn
   */
  fullBandOnly?: boolean;
}

/** what a candidate with `fullBandOnly` leaves out of its training, for the report */
export const FULL_BAND_ONLY =
  "; only the stretches played full band: no 8 kHz-only cry, no stretch band-limited around one";

/** A fold's head inputs in both bands (evidenceInputs), computed once per fold and kept. */
export interface FoldInputs {
  full: Float32Array;
  limited: Float32Array;
}
const inputCache = new WeakMap<FoldFeatures, FoldInputs>();

export function foldInputs(f: FoldFeatures, classifier: YamnetClassifier): FoldInputs {
  let x = inputCache.get(f);
  if (!x) {
    x = {
      full: evidenceInputs(f.fullEmbedding, classifier),
      limited: evidenceInputs(f.limitedEmbedding, classifier),
    };
    inputCache.set(f, x);
  }
  return x;
}

/** The training windows of `folds` in the candidate's bands, with group-balanced loss weights. */
export function trainingSet(
  folds: readonly FoldFeatures[],
  spec: CandidateSpec,
  classifier: YamnetClassifier,
  /** sources none of whose windows may be trained on (the shipped head's held-out test sources) */
  exclude: ReadonlySet<string> = new Set(),
): TrainingSet {
  const picked: Array<{
    f: FoldFeatures;
    i: number;
    band: "full" | "limited";
    label: number;
    group: string;
  }> = [];
  const rand = mulberry32(spec.head.seed + 17);
  for (const f of folds) {
    const labels = windowLabels(f.startSec, f.info.events, f.activity);
    let bg = 0;
    labels.forEach((l, i) => {
      if (l.label === LEFT_OUT || l.sources.some((x) => exclude.has(x))) return;
      if (spec.fullBandOnly && l.bandLimited) return;
      if (l.group === "background" && bg++ % spec.backgroundEvery !== 0) return;
      const bands = spec.oneBandPerWindow ? [spec.bands[Math.floor(rand() * spec.bands.length)]] : spec.bands;
      for (const band of bands) picked.push({ f, i, band, label: l.label, group: l.group });
    });
  }
  const n = picked.length;
  const inputs = new Float32Array(n * INPUT_DIM);
  const labels = new Uint8Array(n);
  const weights = groupBalancedWeights(picked.map((p) => p.group));
  picked.forEach((p, j) => {
    const x = foldInputs(p.f, classifier);
    const src = p.band === "full" ? x.full : x.limited;
    inputs.set(src.subarray(p.i * INPUT_DIM, (p.i + 1) * INPUT_DIM), j * INPUT_DIM);
    labels[j] = p.label === CRY ? 1 : 0;
  });
  return { inputs, labels, weights };
}

export interface CandidateFold {
  fold: number;
  weights: EvidenceHeadWeights;
  /** cry logits of the held-out fold's full-band windows */
  logits: Float32Array;
}

/**
 * Trains the candidate once per fold (without that fold, and without the `exclude` sources) and scores the held-out
 * fold's full-band windows.
 */
export function crossValidateCandidate(
  spec: CandidateSpec,
  folds: readonly FoldFeatures[],
  classifier: YamnetClassifier,
  log?: (line: string) => void,
  exclude: ReadonlySet<string> = new Set(),
): CandidateFold[] {
  return folds.map((test, k) => {
    const t0 = performance.now();
    const set = trainingSet(
      folds.filter((_, j) => j !== k),
      spec,
      classifier,
      exclude,
    );
    const weights = fitEvidenceHead(set, spec.head);
    const logits = evidenceLogits(foldInputs(test, classifier).full, weights);
    log?.(
      `${spec.name} fold ${k}: trained on ${set.labels.length} windows in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    return { fold: k, weights, logits };
  });
}
