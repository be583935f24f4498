import type { ScoreResult } from "../dev/benchmark/evaluate.js";
import { type CalibrationTransfer, TRANSFER_TOLERANCE, withinTolerance } from "./calibration-transfer.js";

const ORIGINAL = "16 kHz original";

/**
 * Whether a candidate ships: against every other score (YAMNet's own, raw and Platt-scaled, the heads shipped so
 * far) it must find more cries, cross-fitted (each fold at the point chosen on the other folds), with no more false
 * episodes per hour than that score or the budget, whichever is higher — more cries at an equal false-alarm rate,
 * or more cries within the budget — and no fewer of the cries played from their 16 kHz originals, which are what the
 * daemon's 16 kHz microphone hears: a gain on the 8 kHz-only clips alone is a gain on a channel the daemon never hears
 * (2026-12-03: the linear head over all 521 logits found 198 cries to YAMNet's 138, but 73 of the 182 originals to
 * YAMNet's 76, and missed the README's example cry; trained without the 8 kHz clips it found only 35 originals, so
 * those clips teach it crying too, not only the channel). The answer names the figures either way.
 */
export function shipVerdict(
  candidate: ScoreResult,
  others: readonly ScoreResult[],
  budgetPerHour: number,
): { ship: boolean; why: string } {
  const c = candidate.crossFitted;
  const fph = (r: ScoreResult) => r.crossFitted.falsePerHour.value;
  const fig = (r: ScoreResult) =>
    `${r.name} ${r.crossFitted.found}/${r.crossFitted.cries} at ${fph(r).toFixed(2)}/h`;
  const fewer = others.filter((o) => o.crossFitted.found >= c.found);
  if (fewer.length > 0)
    return { ship: false, why: `${fig(candidate)} finds no more cries than ${fewer.map(fig).join(", ")}` };
  const original = (r: ScoreResult) => r.crossFitted.recallByBand[ORIGINAL].found;
  const fewerOriginals = others.filter((o) => original(o) > original(candidate));
  if (fewerOriginals.length > 0)
    return {
      ship: false,
      why: `${fig(candidate)} finds fewer of the ${c.recallByBand[ORIGINAL].cries} cries played from their 16 kHz originals (${original(candidate)}) than ${fewerOriginals.map((o) => `${o.name} (${original(o)})`).join(", ")}`,
    };
  const noisier = others.filter((o) => fph(candidate) > Math.max(fph(o), budgetPerHour));
  if (noisier.length > 0)
    return {
      ship: false,
      why: `${fig(candidate)} has more false episodes/h than ${noisier.map(fig).join(", ")} and the budget of ${budgetPerHour}/h`,
    };
  return {
    ship: true,
    why: `${fig(candidate)} finds more cries than ${others.map(fig).join(", ")}, at no more false episodes/h than each or the budget of ${budgetPerHour}/h`,
  };
}

/**
 * The candidates the daemon can run (temporal models, linear combinations of YAMNet's class logits) that pass
 * shipVerdict against `baselines`, best first: the most cries, then the fewest false episodes per hour.
 */
export function rankDetectors(
  candidates: readonly ScoreResult[],
  baselines: readonly ScoreResult[],
  budgetPerHour: number,
): { ranked: ScoreResult[]; verdicts: Array<{ name: string; ship: boolean; why: string }> } {
  const verdicts = candidates.map((s) => ({ name: s.name, ...shipVerdict(s, baselines, budgetPerHour) }));
  const ranked = candidates.filter((_, i) => verdicts[i].ship);
  ranked.sort(
    (a, b) =>
      b.crossFitted.found - a.crossFitted.found ||
      a.crossFitted.falsePerHour.value - b.crossFitted.falsePerHour.value,
  );
  return { ranked, verdicts };
}

/**
 * The detector train-export ships: the first of the ranked candidates whose model, retrained on every source, the
 * calibration and point fitted on the fold models still describe (calibration-transfer.ts: mean difference ≤
 * TRANSFER_TOLERANCE) — else the benchmark's figures are those of other models than the one the parents get. `build`
 * retrains one (a candidate that is not retrained has no transfer and passes); null when none is left.
 */
export function firstTransferable<C extends { name: string }, B extends { transfer?: CalibrationTransfer }>(
  ranked: readonly C[],
  build: (c: C) => B,
): { chosen: { candidate: C; built: B } | null; rejected: string[] } {
  const rejected: string[] = [];
  for (const candidate of ranked) {
    const built = build(candidate);
    const t = built.transfer;
    if (!t || withinTolerance(t)) return { chosen: { candidate, built }, rejected };
    rejected.push(
      `${candidate.name} passes, but retrained on every source its calibrated probability differs from the fold models' by ${t.meanAbsDiff.toFixed(3)} on average (${(100 * t.crossings).toFixed(1)} % of windows across the threshold), over the tolerance of ${TRANSFER_TOLERANCE}: not shipped`,
    );
  }
  return { chosen: null, rejected };
}

export const BENCHMARK_HEADING = "## Leave-source-out benchmark (issue 14)";

/** `card` with its benchmark section replaced by (or, without one, followed by) `section`. */
export function withBenchmarkSection(card: string, section: string): string {
  const start = card.indexOf(BENCHMARK_HEADING);
  const next = start < 0 ? -1 : card.indexOf("\n## ", start + 1);
  return start < 0
    ? `${card.trimEnd()}\n\n${section}\n`
    : `${card.slice(0, start)}${section}\n${next < 0 ? "" : card.slice(next + 1)}`;
}
