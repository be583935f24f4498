import { copiesForTraining } from "./augment.js";
import type { ClipFeatures } from "./features.js";
import type { Sample } from "./sample.js";
import type { AugCopy, FeatureSide, RunClip } from "./types.js";

/**
 * The samples (one per patch) of clips `ids`, from their band-limited features or, with "featsFull", their
 * full-band ones where they have them. Cry patches that hold no crying (RunClip.active) are left out.
 */
export function samplesOf(clips: readonly RunClip[], ids: number[], which: FeatureSide = "feats"): Sample[] {
  const out: Sample[] = [];
  for (const id of ids) {
    const c = clips[id];
    const f = (which === "featsFull" ? (c.featsFull ?? c.feats) : c.feats) as ClipFeatures | undefined;
    if (!f) continue;
    for (let p = 0; p < f.patches; p++)
      if (!c.active || c.active[p])
        out.push({ features: f, patch: p, cry: c.isCry ? 1 : 0, reason: c.reason, clip: id });
  }
  return out;
}

/** The samples of the augmented copies made from clips in `allowed`, labelled as their clips. */
export function augSamples(clips: readonly RunClip[], copies: AugCopy[], allowed: Set<number>): Sample[] {
  const out: Sample[] = [];
  for (const a of copiesForTraining(copies, allowed)) {
    const c = clips[a.clip];
    for (let p = 0; p < a.feats.patches; p++)
      if (!a.active || a.active[p])
        out.push({ features: a.feats, patch: p, cry: c.isCry ? 1 : 0, reason: c.reason, clip: a.clip });
  }
  return out;
}
