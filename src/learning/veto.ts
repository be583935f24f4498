import { dot, unitVector } from "./quantize.js";

/**
 * "Not a cry" learning: a nearest-neighbour veto in YAMNet's embedding space. All embeddings are compared after
 * removing what cries have in common (the mean of the shipped cry prototypes, src/learning/prototypes.ts): raw
 * YAMNet embeddings share a large positive component, and the sounds the heads mistake for crying sit close to
 * crying in raw cosine. A window is vetoed when it is close to a window the parents marked "not a cry" (centred
 * cosine ≥ `minSimilarity`) AND closer to it than to any cry prototype by `margin`. The cry prototypes are the
 * positives: a mark only silences sounds that resemble the marked sound more than they resemble crying, so it
 * cannot learn "everything is not a cry". A marked window closer than `cryLike` to a prototype is not used.
 */
export interface VetoParams {
  minSimilarity: number;
  margin: number;
  cryLike: number;
}

/** Chosen by scripts/sim-feedback.ts (README, "Learning from the parents"). */
export const DEFAULT_VETO: VetoParams = { minSimilarity: 0.7, margin: 0.05, cryLike: 0.9 };

export class CryVeto {
  private constructor(
    private readonly negatives: Float32Array[],
    private readonly prototypes: readonly Float32Array[],
    private readonly centre: Float32Array,
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
    const dim = prototypes[0]?.length ?? marked[0]?.length ?? 0;
    const centre = new Float32Array(dim);
    for (const p of prototypes) for (let i = 0; i < dim; i++) centre[i] += p[i] / prototypes.length;
    const centred = prototypes.map((p) => centredUnit(p, centre));
    const negatives: Float32Array[] = [];
    let rejected = 0;
    for (const m of marked) {
      const u = centredUnit(unitVector(m), centre);
      if (nearest(u, centred) >= params.cryLike) rejected++;
      else negatives.push(u);
    }
    return new CryVeto(negatives, centred, centre, params, rejected);
  }

  get size(): number {
    return this.negatives.length;
  }

  /** Whether the window with this embedding is vetoed (does not count as crying). */
  vetoes(embedding: Float32Array): boolean {
    if (this.negatives.length === 0) return false;
    const u = centredUnit(unitVector(embedding), this.centre);
    const neg = nearest(u, this.negatives);
    if (neg < this.params.minSimilarity) return false;
    return neg - nearest(u, this.prototypes) >= this.params.margin;
  }
}

function centredUnit(u: Float32Array, centre: Float32Array): Float32Array {
  const out = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = u[i] - (centre[i] ?? 0);
  return unitVector(out);
}

function nearest(u: Float32Array, set: readonly Float32Array[]): number {
  let best = -1;
  for (const v of set) best = Math.max(best, dot(u, v));
  return best;
}
