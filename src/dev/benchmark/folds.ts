import { createHash } from "node:crypto";
import type { BenchClip } from "./types.js";

/** A stable pseudo-random order of sources (sha256 of seed and name), so folds do not depend on file order. */
const order = (seed: number) => (a: string, b: string) => {
  const h = (s: string) => createHash("sha256").update(`${seed}:${s}`).digest("hex");
  return h(a) < h(b) ? -1 : h(a) > h(b) ? 1 : 0;
};

/**
 * Assigns every source to one of `k` folds: cry families dealt round-robin in a seeded order, and the negative
 * sources likewise within each category (continuing where the previous category stopped), so each fold gets a
 * share of every category that has at least k sources. Every clip of a source is in the source's fold.
 */
export function assignFolds(clips: readonly BenchClip[], k: number, seed = 1): Map<string, number> {
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`Expected k (folds) to be an integer ≥ 2, got ${k}`);
  const byGroup = new Map<string, Set<string>>();
  for (const c of clips) {
    const group = c.kind === "cry" ? "cry" : (c.category as string);
    if (!byGroup.has(group)) byGroup.set(group, new Set());
    byGroup.get(group)!.add(c.source);
  }
  const folds = new Map<string, number>();
  let next = 0;
  for (const group of [...byGroup.keys()].sort()) {
    for (const source of [...byGroup.get(group)!].sort(order(seed))) {
      if (folds.has(source)) continue; // a source of two categories (the nursery) keeps its first fold
      folds.set(source, next);
      next = (next + 1) % k;
    }
  }
  return folds;
}
