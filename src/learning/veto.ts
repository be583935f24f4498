import { dot, unitVector } from "./quantize.js";

/**
 * "Not a cry" learning: a nearest-neighbour veto in YAMNet's embedding space. A window is vetoed when it is close
 * to a window the parents marked "not a cry" (cosine ≥ `minSimilarity`) AND clearly closer to it than to any
 * crying babymon ships (the cry prototypes, src/learning/prototypes.ts) by `margin`. The cry prototypes are the
 * positives: a mark can only silence sounds that resemble the marked sound more than they resemble crying, so it
 * cannot learn "everything is not a cry". A marked window that itself resembles crying (within `margin` of a
 * prototype — a real cry marked by mistake, or a cry over the cat) is not used at all.
 */
export interface VetoParams {
  minSimilarity: number;
  margin: number;
}

/** Chosen on the simulation's seed 1 and reported on seed 2 (README, scripts/sim-feedback.ts). */
export const DEFAULT_VETO: VetoParams = { minSimilarity: 0.85, margin: 0.05 };

export class CryVeto {
  private constructor(
    private readonly negatives: Float32Array[],
    private readonly prototypes: readonly Float32Array[],
    private readonly params: VetoParams,
    /** marked windows left out because they resembled crying */
    readonly rejected: number,
  ) {}

  /** From the marked windows' embeddings and the cry prototypes (unit vectors). */
  static train(
    marked: readonly Float32Array[],
    prototypes: readonly Float32Array[],
    params = DEFAULT_VETO,
  ): CryVeto {
    const negatives: Float32Array[] = [];
    let rejected = 0;
    for (const m of marked) {
      const u = unitVector(m);
      if (nearest(u, prototypes) >= 1 - params.margin) rejected++;
      else negatives.push(u);
    }
    return new CryVeto(negatives, prototypes, params, rejected);
  }

  get size(): number {
    return this.negatives.length;
  }

  /** Whether the window with this embedding is vetoed (does not count as crying). */
  vetoes(embedding: Float32Array): boolean {
    if (this.negatives.length === 0) return false;
    const u = unitVector(embedding);
    const neg = nearest(u, this.negatives);
    if (neg < this.params.minSimilarity) return false;
    return neg - nearest(u, this.prototypes) >= this.params.margin;
  }
}

function nearest(u: Float32Array, set: readonly Float32Array[]): number {
  let best = -1;
  for (const v of set) best = Math.max(best, dot(u, v));
  return best;
}
