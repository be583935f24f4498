import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Table from "cli-table3";
import { REASONS } from "../events.js";
import type { Combination } from "../inference/heads.js";
import { clipMeans, type SetMetrics } from "./evaluate.js";
import type { MultiClassReport } from "./metrics.js";
import { modelCard } from "./model-card.js";
import { ci, f3, ms } from "./report-format.js";
import { writePlots } from "./report-plots.js";
import type { FoldResult, ReportInput } from "./types.js";

/** A combination as text, its 521 YAMNet evidence weights summarised. */
function describeCombination(c: Combination): string {
  const { yamnet, ...cry } = c.cry;
  return JSON.stringify({ ...c, cry: yamnet ? { ...cry, yamnet: `${yamnet.length} weights` } : cry });
}

export function reportTable(title: string, r: MultiClassReport, base: MultiClassReport): string {
  const lines = [title, ""];
  lines.push(
    `${"".padEnd(14)}${"precision".padStart(10)}${"recall".padStart(10)}${"f1-score".padStart(10)}${"support".padStart(9)}   | majority baseline: precision  recall  f1`,
  );
  r.perClass.forEach((c, i) => {
    const b = base.perClass[i];
    lines.push(
      `${c.label.padEnd(14)}${f3(c.precision).padStart(10)}${f3(c.recall).padStart(10)}${f3(c.f1).padStart(10)}${String(c.support).padStart(9)}   |                    ${f3(b.precision)}   ${f3(b.recall)}  ${f3(b.f1)}`,
    );
  });
  lines.push("");
  lines.push(
    `${"accuracy".padEnd(34)}${f3(r.accuracy).padStart(10)}${String(r.n).padStart(9)}   | baseline ${f3(base.accuracy)}`,
  );
  lines.push(
    `${"macro avg".padEnd(14)}${f3(r.macroPrecision).padStart(10)}${f3(r.macroRecall).padStart(10)}${f3(r.macroF1).padStart(10)}${String(r.n).padStart(9)}   | baseline macro-F1 ${f3(base.macroF1)}`,
  );
  lines.push(
    `${"weighted avg".padEnd(34)}${f3(r.weightedF1).padStart(10)}${String(r.n).padStart(9)}   | baseline weighted-F1 ${f3(base.weightedF1)}`,
  );
  lines.push(
    `${"balanced accuracy".padEnd(34)}${f3(r.balancedAccuracy).padStart(10)}${"".padStart(9)}   | baseline ${f3(base.balancedAccuracy)}`,
  );
  return lines.join("\n");
}

export function detectionLines(title: string, m: SetMetrics, thr: number): string {
  return [
    title,
    `  cry vs not, patch level: ROC AUC ${f3(m.cryPatchAuc)} (negatives full-band: ${f3(m.cryPatchAucFullBandNegatives)}), PR AUC ${f3(m.cryPatchAp)}, F1 at threshold ${thr}: ${f3(m.cryPatchF1)}`,
    `  cry vs not, clip level:  ROC AUC ${ci(m.cryClipAucCI)} (negatives full-band: ${f3(m.cryClipAucFullBandNegatives)}), PR AUC ${f3(m.cryClipAp)}, F1 at threshold: ${f3(m.cryClipF1)}`,
    `  YAMNet's own cry score (classes 19–21), patch level ROC AUC: ${f3(m.yamnetCryPatchAuc)}`,
    `  calibration: cry ECE ${f3(m.cryEce)} (patches), reason ECE ${f3(m.reasonEce)} (cry clips, top label)`,
    `  reasons, prior-corrected decision: macro-F1 ${ci(m.reasonPriorCorrectedMacroF1CI)}, balanced accuracy ${ci(m.reasonPriorCorrectedBalancedAccCI)}; argmax of calibrated probabilities: macro-F1 ${ci(m.reasonMacroF1CI)}, balanced accuracy ${ci(m.reasonBalancedAccCI)} (95 % bootstrap over groups); majority baseline ${f3(m.reasonBaseline.macroF1)} / ${f3(m.reasonBaseline.balancedAccuracy)}`,
    `  "unsure" on ${f3(m.unsureRate)} of cry clips; the named rest: accuracy ${f3(m.confidentAccuracy)} (always the most common reason: ${f3(m.confidentMajorityAccuracy)}), balanced accuracy ${f3(m.confidentBalancedAccuracy)}`,
  ].join("\n");
}

/**
 * The run folder's reports (classification_report.txt, metrics.json, figures), the model card next to the
 * exported heads, and the summary table on stdout.
 */
export async function writeRunReports(r: ReportInput): Promise<void> {
  const s = r.summary;
  const txt: string[] = [];
  txt.push(`babymon train-export — ${r.manifest.name}@${r.manifest.version}`);
  txt.push(`data: ${r.options.data}; clips ${JSON.stringify(r.clipsByLabel)}; ${r.groups} groups`);
  txt.push(
    `band-limit policy: every clip low-passed at ${r.options.bandLimitHz} Hz (0 = off) before YAMNet, in training and in the daemon`,
  );
  txt.push(`protocol: ${s.protocol}`);
  txt.push(
    "Reason figures are clip-level (mean of patch probabilities); the five reasons only, on cry clips.",
  );
  txt.push("");
  txt.push(
    reportTable(
      "=== HOLD-OUT TEST split (final exported heads, combined; never used for any choice) — prior-corrected decision argmax p(r|x)/p(r) ===",
      r.testMetrics.reasonPriorCorrected,
      r.testMetrics.reasonBaseline,
    ),
  );
  txt.push("");
  txt.push(
    reportTable(
      "--- same, argmax of the calibrated probabilities (what the daemon names when above the unsure threshold) ---",
      r.testMetrics.reason,
      r.testMetrics.reasonBaseline,
    ),
  );
  txt.push("");
  txt.push(detectionLines("Test split, detection and calibration:", r.testMetrics, r.thresholds.cry));
  txt.push("");
  txt.push(falseAlarmLines(r));
  txt.push("");
  txt.push(
    reportTable(
      "=== GROUPED CV, out-of-fold, pooled over the folds of seed 0 (combined heads) — prior-corrected decision ===",
      r.cvPooled.reasonPriorCorrected,
      r.cvPooled.reasonBaseline,
    ),
  );
  txt.push("");
  txt.push(
    reportTable(
      "--- same, argmax of the calibrated probabilities ---",
      r.cvPooled.reason,
      r.cvPooled.reasonBaseline,
    ),
  );
  txt.push("");
  txt.push(
    detectionLines(
      "Grouped CV (pooled out-of-fold, combined; combination/calibration chosen on these same out-of-fold predictions):",
      r.cvPooled,
      r.cvThresholds.cry,
    ),
  );
  for (const head of ["fc", "mnv3"]) {
    txt.push("");
    txt.push(
      detectionLines(
        `Grouped CV (pooled out-of-fold), ${head} head alone:`,
        r.cvPooledByHead[head],
        r.cvThresholds.cry,
      ),
    );
  }
  txt.push("");
  txt.push("=== GROUPED CV per fold: mean ± std over folds and seeds ===");
  for (const head of ["fc", "mnv3", "combined"]) {
    const c = s.cvPerFold[head as keyof typeof s.cvPerFold];
    txt.push(
      `  ${head.padEnd(9)} reason macro-F1 ${ms(c.reasonMacroF1)} (baseline ${ms(c.baselineMacroF1)}), balanced acc ${ms(c.reasonBalancedAccuracy)} (baseline ${ms(c.baselineBalancedAccuracy)}), accuracy ${ms(c.reasonAccuracy)} (baseline ${ms(c.baselineAccuracy)}), cry AUC patch ${ms(c.cryPatchAuc)} / full-band neg. ${ms(c.cryPatchAucFullBandNegatives)}, clip ${ms(c.cryClipAuc)}`,
    );
  }
  txt.push("");
  if (r.shortcut) {
    txt.push("=== Bandwidth check ===");
    txt.push(
      `  exported heads (band-limited policy), test: cry AUC ${f3(r.testMetrics.cryPatchAuc)} with band-limited negatives, ${f3(r.testMetrics.cryPatchAucFullBandNegatives)} with full-band negatives`,
    );
    txt.push(
      `  same FC head trained WITHOUT the policy, test: ${f3(r.shortcut.fullBandNegatives)} full-band negatives → ${f3(r.shortcut.bandLimitedNegatives)} band-limited negatives (the shortcut)`,
    );
    txt.push("");
  }
  if (r.leaky) {
    txt.push("=== LEAKY PROTOCOL — FOR COMPARISON WITH THE ORIGINAL RESEARCH ONLY, NOT A REAL FIGURE ===");
    txt.push(
      "  augmented copies and originals split at random (copies of one recording and one family on both sides)",
    );
    txt.push(
      `  reason accuracy ${f3(r.leaky.reasonAccuracy)}, macro-F1 ${f3(r.leaky.reasonMacroF1)}, balanced accuracy ${f3(r.leaky.reasonBalancedAccuracy)}, cry AUC ${f3(r.leaky.cryPatchAuc)}`,
    );
    txt.push("");
  }
  txt.push(
    `exported: thresholds cry ${r.thresholds.cry}, unsure ${r.thresholds.unsure}; combination ${describeCombination(r.manifest.combination)} (calibration on the final training's inner validation split)`,
    `cross-validation: thresholds cry ${r.cvThresholds.cry}, unsure ${r.cvThresholds.unsure}; combination ${describeCombination(r.cvCombination)} (chosen on the out-of-fold predictions)`,
  );
  txt.push(
    `timings: extraction ${r.timings.extractSeconds.toFixed(0)} s, CV ${r.timings.cvSeconds.toFixed(0)} s`,
  );
  if (r.skipped.length)
    txt.push(`skipped files: ${r.skipped.map((x) => `${x.file} (${x.error})`).join("; ")}`);
  writeFileSync(join(r.runDir, "classification_report.txt"), `${txt.join("\n")}\n`);
  writeFileSync(
    join(r.runDir, "metrics.json"),
    `${JSON.stringify({ summary: r.summary, folds: r.foldResults.map(stripFold), test: stripSet(r.testMetrics), cvPooled: stripSet(r.cvPooled), thresholds: r.thresholds, combination: r.manifest.combination, yamnetEvidence: r.yamnetEvidence && { ...r.yamnetEvidence, stack: undefined }, timings: r.timings, skipped: r.skipped }, null, 2)}\n`,
  );
  await writePlots({ ...r, curves: { fc: r.history, mnv3: r.historyMnv3 } });
  if (r.outDir) writeFileSync(join(r.outDir, "model-card.md"), modelCard(r));
  printSummary(r);
}

/** Which non-cry sources the exported heads take for crying (test clips, clip-level mean cry probability). */
function falseAlarmLines(r: ReportInput): string {
  const means = clipMeans(r.testPreds, r.testClipLabels.length);
  const bySource = new Map<string, { n: number; alarms: number; sum: number }>();
  r.testClipLabels.forEach((label, i) => {
    if (!means.has[i] || (REASONS as readonly string[]).includes(label)) return;
    const parts = r.clipPaths[i].split("/");
    const source = label === "noise" && parts.length > 2 ? `noise/${parts[1]}` : label;
    const e = bySource.get(source) ?? { n: 0, alarms: 0, sum: 0 };
    e.n++;
    e.sum += means.cry[i];
    if (means.cry[i] >= r.thresholds.cry) e.alarms++;
    bySource.set(source, e);
  });
  const rows = [...bySource.entries()].sort((a, b) => b[1].sum / b[1].n - a[1].sum / a[1].n);
  const lines = [
    `Test split, non-cry clips by source: clips over the cry threshold ${r.thresholds.cry} (mean cry probability)`,
  ];
  for (const [source, e] of rows.slice(0, 15)) {
    lines.push(
      `  ${source.padEnd(28)} ${String(e.alarms).padStart(3)}/${String(e.n).padEnd(4)} (${f3(e.sum / e.n)})`,
    );
  }
  if (rows.length > 15)
    lines.push(`  … ${rows.length - 15} more sources, all with lower mean cry probability`);
  return lines.join("\n");
}

function stripFold(f: FoldResult) {
  return { ...f, metrics: stripSet(f.metrics) };
}

function stripSet(m: SetMetrics) {
  const { cryReliability, reasonReliability, ...rest } = m;
  return { ...rest, cryReliability, reasonReliability };
}

function printSummary(r: ReportInput): void {
  const s = r.summary;
  const table = new Table({
    head: ["figure", "grouped CV (pooled OOF, 95 % CI)", "test split", "baseline / goal"],
  });
  const cv = r.cvPooled;
  const t = r.testMetrics;
  table.push(
    [
      "reason macro-F1 (prior-corrected)",
      ci(cv.reasonPriorCorrectedMacroF1CI),
      ci(t.reasonPriorCorrectedMacroF1CI),
      `${f3(cv.reasonBaseline.macroF1)} / ≥ 0.35`,
    ],
    [
      "reason balanced acc. (prior-corr.)",
      ci(cv.reasonPriorCorrectedBalancedAccCI),
      ci(t.reasonPriorCorrectedBalancedAccCI),
      `${f3(cv.reasonBaseline.balancedAccuracy)} / ≥ 0.40`,
    ],
    [
      "reason macro-F1 (calibrated argmax)",
      ci(cv.reasonMacroF1CI),
      ci(t.reasonMacroF1CI),
      f3(cv.reasonBaseline.macroF1),
    ],
    [
      "reason accuracy (calibrated argmax)",
      f3(cv.reason.accuracy),
      f3(t.reason.accuracy),
      f3(cv.reasonBaseline.accuracy),
    ],
    ["cry AUC (patch, band-limited neg.)", f3(cv.cryPatchAuc), f3(t.cryPatchAuc), "≥ 0.97"],
    [
      "cry AUC (patch, full-band neg.)",
      f3(cv.cryPatchAucFullBandNegatives),
      f3(t.cryPatchAucFullBandNegatives),
      "≥ 0.98",
    ],
    ["cry AUC (clip)", ci(cv.cryClipAucCI), ci(t.cryClipAucCI), ""],
    ["cry ECE (patch)", f3(cv.cryEce), f3(t.cryEce), "≤ 0.05"],
    ["reason ECE (clip)", f3(cv.reasonEce), f3(t.reasonEce), "≤ 0.05"],
    ["unsure rate (cry clips)", f3(cv.unsureRate), f3(t.unsureRate), ""],
  );
  if (s.leakyProtocol)
    table.push([
      "LEAKY reason acc / macro-F1",
      "",
      `${f3(s.leakyProtocol.reasonAccuracy)} / ${f3(s.leakyProtocol.reasonMacroF1)}`,
      "not a real figure",
    ]);
  console.log(table.toString());
  console.log(
    `Reports in ${r.runDir}${r.outDir ? `; models in ${r.outDir}` : ""}; ${r.timings.totalSeconds.toFixed(0)} s`,
  );
}
