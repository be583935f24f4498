import { createHash } from "node:crypto";
import type { BenchClip } from "../dev/benchmark/types.js";

/**
 * The sources the shipped head never trains on, so the daemon's tests can check it on sounds it never heard: the
 * toddler, the ESC-50 cats, one speaker (Canadian French, June), and a few cry families chosen by a stable hash
 * (half of them with a 16 kHz original, so full-band cries are tested too).
 */
export interface HeldOut {
  sources: string[];
  clips: Array<{ file: string; kind: "cry" | "negative"; category: string | null }>;
}

export const HELD_OUT_NEGATIVES = ["toddler", "esc50:cat", "speaker:fr_CA_f_June"] as const;
export const HELD_OUT_FAMILIES = 8;

const hash = (s: string) => createHash("sha256").update(`held-out:${s}`).digest("hex");

export function heldOutSources(clips: readonly BenchClip[]): HeldOut {
  const families = [...new Set(clips.filter((c) => c.kind === "cry").map((c) => c.source))].sort((a, b) =>
    hash(a) < hash(b) ? -1 : 1,
  );
  const fullBand = new Set(clips.filter((c) => c.fullBandTwin).map((c) => c.source));
  const withTwin = families.filter((f) => fullBand.has(f)).slice(0, HELD_OUT_FAMILIES / 2);
  const without = families.filter((f) => !fullBand.has(f)).slice(0, HELD_OUT_FAMILIES / 2);
  const present = new Set(clips.map((c) => c.source));
  const sources = [...HELD_OUT_NEGATIVES.filter((s) => present.has(s)), ...withTwin, ...without];
  const held = new Set(sources);
  return {
    sources,
    clips: clips
      .filter((c) => held.has(c.source))
      .map((c) => ({ file: c.fullBandTwin ?? c.rel, kind: c.kind, category: c.category })),
  };
}
