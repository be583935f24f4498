import type { ScoreResult } from "../dev/benchmark/evaluate.js";

/**
 * Whether a candidate ships: it must find more cries than YAMNet's own score and than the heads shipped so far,
 * cross-fitted (each fold at the point chosen on the other folds), without more false episodes per hour than the
 * budget allows; the answer names the figures either way.
 */
export function shipVerdict(
  candidate: ScoreResult,
  others: readonly ScoreResult[],
  budgetPerHour: number,
): { ship: boolean; why: string } {
  const c = candidate.crossFitted;
  const fig = (r: ScoreResult) =>
    `${r.name} ${r.crossFitted.found}/${r.crossFitted.cries} at ${r.crossFitted.falsePerHour.value.toFixed(2)}/h`;
  if (c.falsePerHour.value > budgetPerHour)
    return { ship: false, why: `${fig(candidate)}: over the budget of ${budgetPerHour} false episodes/h` };
  const better = others.filter((o) => o.crossFitted.found >= c.found);
  if (better.length > 0)
    return { ship: false, why: `${fig(candidate)} finds no more cries than ${better.map(fig).join(", ")}` };
  return { ship: true, why: `${fig(candidate)} finds more cries than ${others.map(fig).join(", ")}` };
}

/**
 * The detector train-export ships: of the temporal candidates that pass shipVerdict against `baselines` (YAMNet's
 * own score raw and Platt-scaled, the heads shipped before), the one finding the most cries (then the fewest false
 * episodes per hour); with none, YAMNet's own score, Platt-scaled.
 */
export function chooseDetector(
  sequences: readonly ScoreResult[],
  baselines: readonly ScoreResult[],
  budgetPerHour: number,
): { choice: ScoreResult | null; verdicts: Array<{ name: string; ship: boolean; why: string }> } {
  const verdicts = sequences.map((s) => ({ name: s.name, ...shipVerdict(s, baselines, budgetPerHour) }));
  const passing = sequences.filter((_, i) => verdicts[i].ship);
  passing.sort(
    (a, b) =>
      b.crossFitted.found - a.crossFitted.found ||
      a.crossFitted.falsePerHour.value - b.crossFitted.falsePerHour.value,
  );
  return { choice: passing[0] ?? null, verdicts };
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
