import type { VetoParams } from "../veto.js";
import type { FamilyResult } from "./sim-reason.js";
import type { SourceResult } from "./sim-veto.js";

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export interface VetoSummary {
  marks: number;
  /** sources with at least one false episode left after the marks */
  sources: number;
  /** of those, sources whose false episodes fell by ≥ 80 % */
  meetingGoal: number;
  before: number;
  after: number;
  beforeUnmarked: number;
  afterUnmarked: number;
  /** the largest fall in recall (points) on any cry stream, over all sources */
  worstRecallDrop: number;
  meanRecallDrop: number;
}

export const fall = (before: number, after: number) => (before > 0 ? 1 - after / before : 0);

export function summariseVeto(results: readonly SourceResult[], marks: number): VetoSummary {
  const rows = results.flatMap((r) => r.byMarks.filter((b) => b.marks === marks));
  const measured = rows.filter((b) => b.before > 0);
  const drops = rows.flatMap((b) =>
    Object.values(b.recall).map((r) => (r.before - r.after) / Math.max(1, r.cries)),
  );
  return {
    marks,
    sources: measured.length,
    meetingGoal: measured.filter((b) => fall(b.before, b.after) >= 0.8).length,
    before: rows.reduce((s, b) => s + b.before, 0),
    after: rows.reduce((s, b) => s + b.after, 0),
    beforeUnmarked: rows.reduce((s, b) => s + b.beforeUnmarked, 0),
    afterUnmarked: rows.reduce((s, b) => s + b.afterUnmarked, 0),
    worstRecallDrop: Math.max(0, ...drops) * 100,
    meanRecallDrop: (drops.reduce((s, d) => s + d, 0) / Math.max(1, drops.length)) * 100,
  };
}

export function vetoTable(results: readonly SourceResult[]): string {
  const lines = [
    "| source | false ep. (/h) | marks | rest: before → after (/h) | fall | unmarked clips: before → after | worst cry-stream recall drop |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    if (r.falseEpisodes === 0) continue;
    for (const b of r.byMarks) {
      const drop =
        Math.max(0, ...Object.values(b.recall).map((x) => (x.before - x.after) / Math.max(1, x.cries))) * 100;
      lines.push(
        `| ${r.source} | ${r.falseEpisodes} (${(r.falseEpisodes / r.hours).toFixed(1)}) | ${b.marks} | ${b.before} → ${b.after} (${(b.before / b.restHours).toFixed(1)} → ${(b.after / b.restHours).toFixed(1)}) | ${b.before > 0 ? pct(fall(b.before, b.after)) : "–"} | ${b.beforeUnmarked} → ${b.afterUnmarked} | ${drop.toFixed(1)} pt |`,
      );
    }
  }
  return lines.join("\n");
}

export function summaryLines(label: string, results: readonly SourceResult[], params: VetoParams): string[] {
  return [1, 3, 5].map((m) => {
    const s = summariseVeto(results, m);
    return `${label} (minSimilarity ${params.minSimilarity}, margin ${params.margin}) after ${m} mark${m > 1 ? "s" : ""}: ${s.meetingGoal}/${s.sources} sources fall ≥ 80 %; false episodes in the rest ${s.before} → ${s.after} (${pct(fall(s.before, s.after))} fewer; on clips never marked ${s.beforeUnmarked} → ${s.afterUnmarked}, ${pct(fall(s.beforeUnmarked, s.afterUnmarked))}); cry-stream recall drop worst ${s.worstRecallDrop.toFixed(1)} pt, mean ${s.meanRecallDrop.toFixed(2)} pt`;
  });
}

export function reasonTable(results: readonly FamilyResult[]): string {
  const lines = [
    "| family (install) | clips | labels | leave-one-out | always most frequent | answers | one by one: answered, right (baseline right) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.family.slice(0, 8)}… | ${r.clips} | ${Object.entries(r.labels)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ", ",
        )} | ${pct(r.looAccuracy)} | ${pct(r.baselineAccuracy)} | ${r.answers ? "yes" : "unsure"} | ${r.answered}, ${r.answeredRight} (${r.answeredBaselineRight}) |`,
    );
  }
  const clips = results.reduce((s, r) => s + r.clips, 0);
  const loo = results.reduce((s, r) => s + r.looAccuracy * r.clips, 0) / Math.max(1, clips);
  const base = results.reduce((s, r) => s + r.baselineAccuracy * r.clips, 0) / Math.max(1, clips);
  const answered = results.reduce((s, r) => s + r.answered, 0);
  const right = results.reduce((s, r) => s + r.answeredRight, 0);
  const baseRight = results.reduce((s, r) => s + r.answeredBaselineRight, 0);
  lines.push(
    "",
    `${results.length} families, ${clips} clips: leave-one-out ${pct(loo)} vs ${pct(base)} for always the most frequent label (clip-weighted); the model answers for ${results.filter((r) => r.answers).length} families at the end; labelling one by one it answered ${answered} times, right ${right} (always-most-frequent right ${baseRight} on those).`,
  );
  return lines.join("\n");
}
