import type { ScoreResult } from "./evaluate.js";
import type { OperatingPoint } from "./operating-point.js";
import type { Estimate } from "./summary.js";
import { BACKGROUND, NEGATIVE_CATEGORIES } from "./types.js";

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const est = (e: Estimate, digits = 2) =>
  Number.isFinite(e.value)
    ? `${e.value.toFixed(digits)} [${Number.isFinite(e.lo) ? e.lo.toFixed(digits) : "–"}, ${Number.isFinite(e.hi) ? e.hi.toFixed(digits) : "–"}]`
    : "–";
export const pointText = (p: OperatingPoint) =>
  `${p.threshold}, 3 of ${p.onsetN}${p.onsetStrong < 1 ? `, or one ≥ ${p.onsetStrong}` : ""}`;

/** The benchmark's markdown tables: the figures of record, per category, per fold, and at equal false alarms. */
export function benchmarkMarkdown(results: readonly ScoreResult[], budgetPerHour: number): string {
  const lines: string[] = [];
  lines.push(
    `Cross-fitted (each fold at the operating point chosen on the other folds: most cries at ≤ ${budgetPerHour} false episode/h there); pooled over folds, 95 % bootstrap intervals over sources.`,
    "",
    "| score | recall | false episodes/h | latency median (s) | latency p95 (s) | ECE |",
    "|---|---|---|---|---|---|",
  );
  for (const r of results) {
    const s = r.crossFitted;
    lines.push(
      `| ${r.name} | ${est(s.recall)} (${s.found}/${s.cries}) | ${est(s.falsePerHour)} (${s.falseEpisodes} in ${s.negativeHours.toFixed(2)} h) | ${est(s.latencyMedianSec, 1)} | ${est(s.latencyP95Sec, 1)} | ${r.ece !== undefined ? r.ece.toFixed(3) : "–"} |`,
    );
  }
  lines.push(
    "",
    "False episodes per hour by negative category (cross-fitted; hours of each in brackets):",
    "",
  );
  const cats = [...NEGATIVE_CATEGORIES, BACKGROUND];
  const hours = results[0]?.crossFitted.byCategory;
  lines.push(
    `| score | ${cats.map((c) => `${c} (${hours ? hours[c].hours.toFixed(2) : "?"} h)`).join(" | ")} |`,
    `|---|${cats.map(() => "---").join("|")}|`,
  );
  for (const r of results)
    lines.push(
      `| ${r.name} | ${cats
        .map((c) => {
          const b = r.crossFitted.byCategory[c];
          return `${f2(b.perHour.value)} (${b.falseEpisodes})`;
        })
        .join(" | ")} |`,
    );
  lines.push("", "Recall by SNR over the background (cross-fitted):", "");
  const snrs = Object.keys(results[0]?.crossFitted.recallBySnr ?? {});
  lines.push(`| score | ${snrs.join(" | ")} |`, `|---|${snrs.map(() => "---").join("|")}|`);
  for (const r of results)
    lines.push(
      `| ${r.name} | ${snrs
        .map((k) => {
          const b = r.crossFitted.recallBySnr[k];
          return b ? `${f2(b.found / b.cries)} (${b.found}/${b.cries})` : "–";
        })
        .join(" | ")} |`,
    );
  lines.push(
    "",
    "Recall by the cry's recording (cross-fitted): its 16 kHz original, as a 16 kHz microphone hears it, or only the 8 kHz clip (nothing above 4 kHz):",
    "",
    "| score | 16 kHz original | 8 kHz only |",
    "|---|---|---|",
  );
  for (const r of results) {
    const b = r.crossFitted.recallByBand;
    const cell = (x: { cries: number; found: number }) =>
      x.cries > 0 ? `${f2(x.found / x.cries)} (${x.found}/${x.cries})` : "–";
    lines.push(`| ${r.name} | ${cell(b["16 kHz original"])} | ${cell(b["8 kHz only"])} |`);
  }
  lines.push("", "Per fold (cross-fitted point; recall, false episodes/h, latency p95):", "");
  const k = results[0]?.perFold.length ?? 0;
  lines.push(
    `| score | ${Array.from({ length: k }, (_, i) => `fold ${i}`).join(" | ")} |`,
    `|---|${Array.from({ length: k }, () => "---").join("|")}|`,
  );
  for (const r of results)
    lines.push(
      `| ${r.name} | ${r.perFold.map((p) => `${f2(p.summary.recall.value)}, ${f2(p.summary.falsePerHour.value)}/h, ${f2(p.summary.latencyP95Sec.value)} s (${pointText(p.point)})`).join(" | ")} |`,
    );
  lines.push(
    "",
    `At equal false alarms (one point chosen on all folds together, ≤ ${budgetPerHour}/h: in-sample for the point, the same rule for every score), and at fixed points:`,
    "",
    "| score | point | recall | false episodes/h | latency median / p95 (s) |",
    "|---|---|---|---|---|",
  );
  for (const r of results) {
    const rows: Array<[string, OperatingPoint, (typeof r)["atPooledPoint"]]> = [
      [`${r.name} (pooled point)`, r.pooledPoint, r.atPooledPoint],
    ];
    if (r.fixed)
      rows.push([
        `${r.name} (${r.description.includes("manifest") ? "manifest point" : "default point"})`,
        r.fixed.point,
        r.fixed.summary,
      ]);
    for (const [name, p, s] of rows)
      lines.push(
        `| ${name} | ${pointText(p)} | ${est(s.recall)} | ${est(s.falsePerHour)} | ${f2(s.latencyMedianSec.value)} / ${f2(s.latencyP95Sec.value)} |`,
      );
  }
  lines.push("", ...results.map((r) => `- **${r.name}**: ${r.description}`));
  return lines.join("\n");
}
