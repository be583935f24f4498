import type { WindowAnalysis, WindowScores } from "../inference/types.js";

/** AudioSet classes of laughter: Laughter, Baby laughter, Giggle, Snicker, Belly laugh, "Chuckle, chortle". */
export const LAUGHTER_CLASSES = [13, 14, 15, 16, 17, 18] as const;

export function laughterScore(scores: Float32Array): number {
  let best = 0;
  for (const c of LAUGHTER_CLASSES) best = Math.max(best, scores[c]);
  return best;
}

/**
 * The cry probability the episode logic uses: the score in use, except that a window where YAMNet hears laughter
 * above `veto` and above its own cry score does not count as crying (laughter is the heads' commonest false alarm
 * on the evaluation mix). `veto` 1 turns this off.
 */
export function effectiveCry(cry: number, yamnetCry: number, laughter: number, veto: number): number {
  return veto < 1 && laughter > Math.max(veto, yamnetCry) ? 0 : cry;
}

/** An analysis's scores as the episode logic reads them: its cry after the laughter veto. */
export function vetoedScores(a: WindowAnalysis, veto: number): WindowScores {
  return {
    cry: effectiveCry(a.cry, a.yamnetCry, laughterScore(a.scores), veto),
    yamnetCry: a.yamnetCry,
    reasons: a.reasons,
  };
}
