import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { meanStd } from "../metrics.js";
import { detectionLines, reportTable } from "../report.js";
import { f3, ms } from "../report-format.js";
import { writePlots } from "../report-plots.js";
import type { RunClip } from "../types.js";
import type { ArchEvaluation } from "./evaluate-arch.js";

/**
 * One arch's report files in `dir` (the legacy run's set, from the grouped-CV out-of-fold predictions):
 * classification_report.txt, metrics.json, confusion_matrix.png, train_val_accuracy_loss.png,
 * reliability_diagram.png and cry_roc_pr.png.
 */
export async function writeArchReports(
  dir: string,
  e: ArchEvaluation,
  clips: readonly RunClip[],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const r = e.result;
  const m = r.cvPooled;
  const stat = (pick: (f: (typeof r.folds)[number]) => number | null) =>
    ms(meanStd(r.folds.map((f) => pick(f) ?? Number.NaN)));
  const txt = [
    `babymon train-export --arch ${r.arch}`,
    `protocol: ${r.protocol.note}`,
    `recipe: ${r.recipe}`,
    `parameters ${r.params} (${r.paramsNote}), multiply-adds per patch ${r.multiplyAdds}`,
    "Figures: grouped CV, out-of-fold, pooled over the folds of fold assignment 0; uncalibrated (sigmoid/softmax of the logits); reasons clip-level (mean of patch probabilities), cry clips only.",
    "",
    reportTable(
      "=== GROUPED CV, out-of-fold — argmax of the reason probabilities ===",
      m.reason,
      m.reasonBaseline,
    ),
    "",
    reportTable(
      "--- same, prior-corrected decision argmax p(r|x)/p(r) ---",
      m.reasonPriorCorrected,
      m.reasonBaseline,
    ),
    "",
    detectionLines("Grouped CV (pooled out-of-fold), detection and calibration:", m, 0.5),
    "",
    "=== per fold: mean ± std ===",
    `  reason macro-F1 ${stat((f) => f.reasonMacroF1)}, balanced acc ${stat((f) => f.reasonBalancedAccuracy)}, accuracy ${stat((f) => f.reasonAccuracy)} (baseline ${stat((f) => f.baselineAccuracy)}), cry AUC ${stat((f) => f.cryPatchAuc)} / full-band neg. ${stat((f) => f.cryPatchAucFullBandNegatives)}`,
    ...r.folds.map(
      (f) =>
        `  seed ${f.seed} fold ${f.fold + 1}: macro-F1 ${f3(f.reasonMacroF1)}, bal.acc ${f3(f.reasonBalancedAccuracy)}, cry AUC ${f3(f.cryPatchAuc)}, best epoch ${f.bestEpoch}/${f.epochs}, ${f.seconds.toFixed(0)} s`,
    ),
    "",
  ];
  if (r.leaky) {
    txt.push(
      "=== LEAKY PROTOCOL — FOR COMPARISON WITH THE ORIGINAL RESEARCH ONLY, NOT A REAL FIGURE ===",
      "  augmented copies and originals split at random (copies of one recording and one family on both sides)",
      `  reason accuracy ${f3(r.leaky.reasonAccuracy)}, macro-F1 ${f3(r.leaky.reasonMacroF1)}, balanced accuracy ${f3(r.leaky.reasonBalancedAccuracy)}, cry AUC ${f3(r.leaky.cryPatchAuc)}`,
      "",
    );
  }
  txt.push(
    `training: ${r.trainSeconds.toFixed(0)} s for ${r.fits} fits (${r.fitsStoppedByBudget} ended by the time budget); mean epoch ${f3(r.epochSeconds)} s over ${r.epochSamples.toFixed(0)} patches; inference ${f3(r.inferenceMsPerPatch)} ms per patch (${r.inferenceBackend})`,
  );
  writeFileSync(join(dir, "classification_report.txt"), `${txt.join("\n")}\n`);
  writeFileSync(join(dir, "metrics.json"), `${JSON.stringify(r, null, 2)}\n`);
  await writePlots({
    runDir: dir,
    testMetrics: m,
    testPreds: e.oof,
    fullBandTestPreds: e.oofFull,
    testClipLabels: clips.map((c) => c.label),
    thresholds: { cry: 0.5, unsure: 0.5 },
    curves: e.curves,
    setName: "grouped-CV out-of-fold",
    curvesTitle: `${r.arch}, CV fit (inner grouped validation)`,
  });
}
