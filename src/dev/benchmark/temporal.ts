import { fullBandLogits, type LogitPool } from "../../train/sequence-data.js";
import {
  DEFAULT_SEQUENCE_MODEL,
  type SequenceModelOptions,
  type SequenceWeights,
  streamLogits,
} from "../../train/sequence-model.js";
import { type SequenceRecipe, trainSequence } from "../../train/sequence-train.js";
import { FULL_BAND_ONLY } from "./candidates.js";

/**
 * Temporal candidates of the benchmark: the sequence model (src/train/sequence-model.ts) trained per fold on the
 * other folds' streams (and, with the recipe, the generated hard negatives that hear none of the fold's sources),
 * scoring the fold's full-band windows; and the smoothing baselines it has to beat.
 */

export interface SequenceCandidateSpec {
  name: string;
  recipe: SequenceRecipe;
}

const recipe = (
  windows: number,
  hardNegatives: boolean,
  miningBoost: number,
  model: Partial<SequenceModelOptions> = {},
): SequenceRecipe => ({
  model: { ...DEFAULT_SEQUENCE_MODEL, windows, ...model },
  bands: ["full", "limited"],
  backgroundEvery: 3,
  hardNegatives,
  miningBoost,
});

export const DEFAULT_SEQUENCE_CANDIDATES: SequenceCandidateSpec[] = [
  { name: "sequence T=8", recipe: recipe(8, false, 0) },
  { name: "sequence T=4 + hard negatives", recipe: recipe(4, true, 0) },
  // the same trained twice as long: how much its figure owes to where training stops (5 epochs, not chosen out of
  // source)
  { name: "sequence T=4 + hard negatives, 10 epochs", recipe: recipe(4, true, 0, { epochs: 10 }) },
  {
    name: "sequence T=4 + hard negatives, full-band stretches",
    recipe: { ...recipe(4, true, 0), fullBandOnly: true },
  },
  // the same windows pooled by attention or a GRU instead of side by side (2026-12-03, issue 14's list)
  { name: "sequence T=4 attention + hard negatives", recipe: recipe(4, true, 0, { pooling: "attention" }) },
  { name: "sequence T=4 GRU + hard negatives", recipe: recipe(4, true, 0, { pooling: "gru" }) },
  // YAMNet's embeddings instead of its class logits: benchmark only (the daemon feeds a temporal model logits)
  {
    name: "sequence T=4 over embeddings + hard negatives",
    recipe: { ...recipe(4, true, 0), input: "embedding" },
  },
  { name: "sequence T=8 + hard negatives", recipe: recipe(8, true, 0) },
  { name: "sequence T=12 + hard negatives", recipe: recipe(12, true, 0) },
  { name: "sequence T=8 + hard negatives + mining", recipe: recipe(8, true, 3) },
];

const POOLING_TEXT: Record<SequenceModelOptions["pooling"], (m: SequenceModelOptions) => string> = {
  stack: (m) => `the ${m.windows} side by side`,
  attention: (m) => `pooled by attention (a softmax over the ${m.windows} of a learnt score of each)`,
  gru: (m) => `a GRU(${m.hidden}) over the ${m.windows}, oldest first, its last state`,
};

export function sequenceDescription(spec: SequenceCandidateSpec): string {
  const r = spec.recipe;
  const m = r.model;
  return `temporal model over the last ${m.windows} windows (${(m.windows * 0.48).toFixed(1)} s) of YAMNet's ${r.input === "embedding" ? "1024-value full-band embeddings" : "521 full-band class logits"} (${m.inputScale === "per-class" ? "standardised per value" : `centred, ×${m.inputScale}`}): Dense(${m.project}, ReLU) per window, ${POOLING_TEXT[m.pooling](m)}, Dense(${m.hidden}, ReLU), cry logit (Adam, ${m.epochs} epochs, L2 ${m.l2}, dropout ${m.dropout}); trained per fold on the other folds' streams (each sequence full band or 4 kHz band-limited at random${r.fullBandOnly ? FULL_BAND_ONLY : ""})${r.hardNegatives ? ", plus the generated hard negatives (espeak-ng voices, mixtures over nursery beds) that hear none of the fold's sources" : ""}${r.miningBoost > 1 ? `, a second round with the first round's falsely high negatives weighted ×${r.miningBoost}` : ""}; Platt-scaled on the other folds`;
}

export interface SequenceFold {
  fold: number;
  weights: SequenceWeights;
  /** cry logits of the fold's full-band windows */
  logits: Float32Array;
}

/** Trains the candidate once per fold (without that fold's sources nor `alsoExclude`); scores that fold's windows. */
export function crossValidateSequence(
  spec: SequenceCandidateSpec,
  pool: LogitPool,
  folds: readonly number[],
  sourceFolds: ReadonlyMap<string, number>,
  log?: (line: string) => void,
  /** sources no fold's model trains on (the shipped model's held-out test sources) */
  alsoExclude: ReadonlySet<string> = new Set(),
): SequenceFold[] {
  return folds.map((k) => {
    const test = pool.streams.find((s) => s.fold === k);
    if (!test) throw new Error(`no pooled stream of fold ${k}`);
    const exclude = new Set([...alsoExclude, ...[...sourceFolds].filter(([, f]) => f === k).map(([s]) => s)]);
    const t = trainSequence(pool, spec.recipe, (s) => s.fold !== k, exclude);
    log?.(
      `${spec.name} fold ${k}: ${t.sequences} sequences${spec.recipe.miningBoost > 1 ? `, ${t.mined} mined` : ""} in ${t.seconds.toFixed(0)} s`,
    );
    return { fold: k, weights: t.weights, logits: streamLogits(fullBandLogits(pool, test), t.weights) };
  });
}

/** A smoothing baseline: the mean or the max of a score over the last T windows (the first window repeated). */
export interface SmoothingSpec {
  windows: number;
  op: "mean" | "max";
}

export const DEFAULT_SMOOTHING: SmoothingSpec[] = [
  { windows: 4, op: "mean" },
  { windows: 8, op: "mean" },
  { windows: 4, op: "max" },
  { windows: 8, op: "max" },
];

export const smoothingName = (s: SmoothingSpec) => `YAMNet ${s.op} of ${s.windows}`;

export function smoothed(score: ArrayLike<number>, s: SmoothingSpec): Float32Array {
  const out = new Float32Array(score.length);
  for (let i = 0; i < score.length; i++) {
    let acc = s.op === "mean" ? 0 : Number.NEGATIVE_INFINITY;
    for (let t = i - s.windows + 1; t <= i; t++) {
      const v = score[Math.max(0, t)];
      acc = s.op === "mean" ? acc + v / s.windows : Math.max(acc, v);
    }
    out[i] = acc;
  }
  return out;
}

/** logit of a probability, clamped away from 0 and 1 (YAMNet's scores reach both in float32). */
export function logitOf(p: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: p.length }, (_, i) => {
    const q = Math.min(1 - 1e-6, Math.max(1e-6, p[i]));
    return Math.log(q / (1 - q));
  });
}
