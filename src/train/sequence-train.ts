import { type LogitPool, minedWeights, type PooledStream, sequenceSet } from "./sequence-data.js";
import {
  fitSequenceModel,
  type SequenceModelOptions,
  type SequenceWeights,
  sequenceSetLogits,
} from "./sequence-model.js";

/** A temporal-model recipe: the model, what it trains on, and whether a second round mines hard negatives. */
export interface SequenceRecipe {
  model: SequenceModelOptions;
  bands: ReadonlyArray<"full" | "limited">;
  backgroundEvery: number;
  /** train on the generated hard negatives (espeak-ng voices, mixtures) too */
  hardNegatives: boolean;
  /** > 1: a second round with the first round's falsely high negatives' loss weight multiplied by this; 0 = off */
  miningBoost: number;
  /** learn only from the streams' full-band stretches (CandidateSpec.fullBandOnly) */
  fullBandOnly?: boolean;
  /**
   * what the model reads per window: YAMNet's 521 class logits (the default; what the daemon feeds a temporal
   * model), or its 1024-value embedding (benchmark only)
   */
  input?: "logits" | "embedding";
}

export interface SequenceTraining {
  weights: SequenceWeights;
  sequences: number;
  /** negatives upweighted by the mining round */
  mined: number;
  seconds: number;
}

/** Trains a recipe on the streams `use` selects, none of its sequences hearing a source in `exclude`. */
export function trainSequence(
  pool: LogitPool,
  recipe: SequenceRecipe,
  use: (s: PooledStream) => boolean,
  exclude: ReadonlySet<string>,
): SequenceTraining {
  const t0 = performance.now();
  const set = sequenceSet(pool, {
    windows: recipe.model.windows,
    backgroundEvery: recipe.backgroundEvery,
    bands: recipe.bands,
    seed: recipe.model.seed,
    streams: (s) => use(s) && (s.fold !== null || recipe.hardNegatives),
    exclude,
    fullBandOnly: recipe.fullBandOnly,
  });
  let weights = fitSequenceModel(set, recipe.model);
  let mined = 0;
  if (recipe.miningBoost > 1) {
    const m = minedWeights(set, sequenceSetLogits(set, weights), recipe.miningBoost);
    mined = m.mined;
    weights = fitSequenceModel({ ...set, weights: m.weights }, recipe.model);
  }
  return { weights, sequences: set.labels.length, mined, seconds: (performance.now() - t0) / 1000 };
}
