import { REASONS } from "../../events.js";
import { groupedHoldoutKeepingSingletons, groupedStratifiedFolds } from "../split.js";
import type { EvaluationBasis, RunClip, TrainExportOptions } from "../types.js";

/** The hold-out split and the CV fold assignments, on clip ids (no features needed). */
export interface RunSplits {
  /** clip ids of the train/dev split: cross-validated, and the final heads' training data */
  trainDev: number[];
  /** clip ids of the hold-out test split: never used for training or for any choice */
  test: number[];
  /** per CV seed, the fold of each train/dev clip (indexed like trainDev) */
  foldsBySeed: number[][];
}

/**
 * Stage 2, splits: a grouped hold-out test split (or the data's own test/ folder), and max(seeds, mnv3Seeds)
 * grouped stratified fold assignments of the rest.
 */
export function splitClips(
  clips: RunClip[],
  o: Pick<TrainExportOptions, "data" | "testFraction" | "seed" | "folds" | "seeds" | "mnv3Seeds">,
): RunSplits {
  const { train: trainDev, heldOut: test } = splitHoldout(clips, o);
  const foldsBySeed: number[][] = [];
  for (let s = 0; s < Math.max(o.seeds, o.mnv3Seeds); s++) {
    const f = groupedStratifiedFolds(
      trainDev.map((i) => ({ group: clips[i].group, label: clips[i].label })),
      o.folds,
      o.seed * 1000 + s,
    );
    const foldOf = new Map<number, number>();
    for (const [k, id] of trainDev.entries()) foldOf.set(id, f[k]);
    foldsBySeed.push(trainDev.map((id) => foldOf.get(id)!));
  }
  return { trainDev, test, foldsBySeed };
}

/** The CV fold of each train/dev clip id under fold assignment `seed`. */
export function foldOfClip(splits: RunSplits, seed: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const [k, id] of splits.trainDev.entries()) m.set(id, splits.foldsBySeed[seed][k]);
  return m;
}

/** The clips' groups and labels, and the majority reason and reason frequencies of the train/dev cry clips. */
export function evaluationBasis(clips: RunClip[], trainDev: number[]): EvaluationBasis {
  const reasons = trainDev.filter((i) => clips[i].reason >= 0).map((i) => clips[i].reason);
  return {
    clips: clips.map((c) => ({ group: c.group, isCry: c.isCry, reason: c.reason })),
    majorityReason: mode(reasons),
    reasonPrior: REASONS.map(
      (_, k) => (reasons.filter((r) => r === k).length + 0.5) / (reasons.length + 0.5 * REASONS.length),
    ),
  };
}

function splitHoldout(
  clips: RunClip[],
  o: Pick<TrainExportOptions, "data" | "testFraction" | "seed">,
): { train: number[]; heldOut: number[] } {
  if (clips.some((c) => c.presplit)) {
    const heldOut = clips.filter((c) => c.presplit === "test").map((c) => c.id);
    if (heldOut.length === 0) throw new Error(`Expected a test/ folder in the pre-split data ${o.data}`);
    return { train: clips.filter((c) => c.presplit !== "test").map((c) => c.id), heldOut };
  }
  // A label with a single group (the one laugh recording) cannot be both trained on and tested out-of-group:
  // it stays in train/dev, where grouped CV still shows how a fold without it fares.
  const { train, heldOut } = groupedHoldoutKeepingSingletons(
    clips.map((c) => ({ group: c.group, label: c.label })),
    o.testFraction,
    20261124 + o.seed,
  );
  return { train: train.map((k) => clips[k].id), heldOut: heldOut.map((k) => clips[k].id) };
}

function mode(xs: number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = 0;
  let n = -1;
  for (const [k, v] of counts) if (v > n) [best, n] = [k, v];
  return best;
}
