import { mulberry32, shuffleInPlace } from "./random.js";

export interface Groupable {
  group: string;
  /** Stratification label. */
  label: string;
}

/**
 * Grouped, stratified k-fold assignment (the StratifiedGroupKFold idea): every group goes whole into one
 * fold; groups are placed largest-and-rarest first into the fold that keeps the per-label proportions most
 * even across folds. Returns the fold index of every item.
 */
export function groupedStratifiedFolds(items: readonly Groupable[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`Expected \`k\` to be an integer ≥ 2, got ${k}`);
  const labels = [...new Set(items.map((i) => i.label))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const groups = new Map<string, { counts: number[]; members: number[] }>();
  items.forEach((item, i) => {
    let g = groups.get(item.group);
    if (!g) {
      g = { counts: new Array(labels.length).fill(0), members: [] };
      groups.set(item.group, g);
    }
    g.counts[labelIndex.get(item.label)!]++;
    g.members.push(i);
  });
  const totals = new Array(labels.length).fill(0);
  for (const item of items) totals[labelIndex.get(item.label)!]++;
  const entries = shuffleInPlace([...groups.entries()], mulberry32(seed));
  // groups whose label mix is most uneven (and rare labels) first, like sklearn's StratifiedGroupKFold
  const weight = (counts: number[]) => counts.reduce((s, c, l) => s + c / totals[l], 0);
  entries.sort((a, b) => weight(b[1].counts) - weight(a[1].counts));
  const foldCounts = Array.from({ length: k }, () => new Array(labels.length).fill(0));
  const foldSizes = new Array(k).fill(0);
  const foldOf = new Array<number>(items.length).fill(-1);
  for (const [, g] of entries) {
    let best = -1;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let f = 0; f < k; f++) {
      let cost = 0;
      for (let l = 0; l < labels.length; l++) {
        const share = (fc: number[]) => fc[l] / totals[l];
        let mean = 0;
        const shares: number[] = [];
        for (let o = 0; o < k; o++) {
          const v = o === f ? (foldCounts[o][l] + g.counts[l]) / totals[l] : share(foldCounts[o]);
          shares.push(v);
          mean += v / k;
        }
        cost += Math.sqrt(shares.reduce((s, v) => s + (v - mean) ** 2, 0) / k);
      }
      if (cost < bestCost - 1e-12 || (Math.abs(cost - bestCost) <= 1e-12 && foldSizes[f] < foldSizes[best])) {
        best = f;
        bestCost = cost;
      }
    }
    for (let l = 0; l < labels.length; l++) foldCounts[best][l] += g.counts[l];
    foldSizes[best] += g.members.length;
    for (const m of g.members) foldOf[m] = best;
  }
  return foldOf;
}

/** Indices for train/held-out of fold `fold`. */
export function foldIndices(foldOf: readonly number[], fold: number): { train: number[]; heldOut: number[] } {
  const train: number[] = [];
  const heldOut: number[] = [];
  foldOf.forEach((f, i) => {
    (f === fold ? heldOut : train).push(i);
  });
  return { train, heldOut };
}

/** A grouped, stratified hold-out split with about `fraction` of the items in the held-out part. */
export function groupedHoldout(
  items: readonly Groupable[],
  fraction: number,
  seed: number,
): { train: number[]; heldOut: number[] } {
  if (!(fraction > 0 && fraction < 1))
    throw new Error(`Expected \`fraction\` to be in (0, 1), got ${fraction}`);
  const k = Math.max(2, Math.round(1 / fraction));
  return foldIndices(groupedStratifiedFolds(items, k, seed), 0);
}

/**
 * groupedHoldout, except that labels with fewer than two groups stay entirely on the training side: one
 * recording (the laugh data) cannot be trained on and held out at once, and training must see it.
 */
export function groupedHoldoutKeepingSingletons(
  items: readonly Groupable[],
  fraction: number,
  seed: number,
): { train: number[]; heldOut: number[] } {
  const groupsOfLabel = new Map<string, Set<string>>();
  for (const it of items)
    groupsOfLabel.set(it.label, (groupsOfLabel.get(it.label) ?? new Set()).add(it.group));
  const pinned = new Set(items.filter((it) => groupsOfLabel.get(it.label)!.size < 2).map((it) => it.group));
  const free = items.map((_, i) => i).filter((i) => !pinned.has(items[i].group));
  const held = new Set(
    groupedHoldout(
      free.map((i) => items[i]),
      fraction,
      seed,
    ).heldOut.map((k) => free[k]),
  );
  return {
    train: items.map((_, i) => i).filter((i) => !held.has(i)),
    heldOut: [...held].sort((a, b) => a - b),
  };
}
