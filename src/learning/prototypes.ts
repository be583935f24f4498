import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../version.js";
import { dequantizeEmbedding, type QuantizedEmbedding, unitVector } from "./quantize.js";

/** The shipped cry prototypes: k-means centres of YAMNet embeddings of crying windows (scripts/sim-feedback.ts --write-prototypes). */
export const PROTOTYPES_FILE = join(PROJECT_ROOT, "models", "learning", "cry-prototypes.json");

export interface PrototypesFile {
  /** what they were built from (files are named in the simulation, never shipped) */
  source: string;
  dim: number;
  prototypes: Array<{ scale: number; data: string }>;
}

export function encodePrototypes(source: string, prototypes: QuantizedEmbedding[]): PrototypesFile {
  return {
    source,
    dim: prototypes[0]?.data.length ?? 0,
    prototypes: prototypes.map((p) => ({
      scale: p.scale,
      data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString("base64"),
    })),
  };
}

/** The prototypes as unit vectors; an absent or unreadable file is an error naming it. */
export function loadPrototypes(file = PROTOTYPES_FILE): Float32Array[] {
  if (!existsSync(file)) throw new Error(`Cannot load the cry prototypes: ${file} does not exist`);
  let parsed: PrototypesFile;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as PrototypesFile;
  } catch (err) {
    throw new Error(`Cannot load the cry prototypes ${file}: ${(err as Error).message}`);
  }
  return parsed.prototypes.map((p) => {
    const data = new Int8Array(Buffer.from(p.data, "base64"));
    if (data.length !== parsed.dim)
      throw new Error(
        `Cannot load the cry prototypes ${file}: a prototype of ${data.length} values, expected ${parsed.dim}`,
      );
    return unitVector(dequantizeEmbedding({ data, scale: p.scale }));
  });
}

/** k-means (cosine, k-means++ seeding with a seeded generator) of unit vectors: the centres, as unit vectors. */
export function kMeans(
  points: readonly Float32Array[],
  k: number,
  rand: () => number,
  iterations = 15,
): Float32Array[] {
  const dim = points[0].length;
  const centres: Float32Array[] = [points[Math.floor(rand() * points.length)]];
  const best = points.map(() => Number.POSITIVE_INFINITY);
  while (centres.length < Math.min(k, points.length)) {
    const last = centres[centres.length - 1];
    let total = 0;
    points.forEach((p, i) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += p[d] * last[d];
      best[i] = Math.min(best[i], 1 - s);
      total += best[i];
    });
    let r = rand() * total;
    let pick = 0;
    for (; pick < points.length - 1 && r > best[pick]; pick++) r -= best[pick];
    centres.push(points[pick]);
  }
  for (let it = 0; it < iterations; it++) {
    const sums = centres.map(() => new Float32Array(dim));
    for (const p of points) {
      let bi = 0;
      let bs = -2;
      centres.forEach((c, ci) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += p[d] * c[d];
        if (s > bs) {
          bs = s;
          bi = ci;
        }
      });
      for (let d = 0; d < dim; d++) sums[bi][d] += p[d];
    }
    sums.forEach((s, ci) => {
      if (s.some((v) => v !== 0)) centres[ci] = unitVector(s);
    });
  }
  return centres;
}
