import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Table from "cli-table3";
import { REASONS } from "../events.js";
import { loadClassMap } from "../inference/class-map.js";
import type { Combination } from "../inference/heads.js";
import { clipMeans, type PatchPredictions, type SetMetrics } from "./evaluate.js";
import { curves, type Interval, type MultiClassReport } from "./metrics.js";
import { confusionSpec, linesSpec, renderPng } from "./plots.js";
import type { StackFigures } from "./stack.js";
import { DEFAULT_TRAIN_OPTIONS } from "./trainer.js";
import type { FoldResult, ReportInput } from "./types.js";

function yamnetEvidenceText(r: ReportInput): string {
  const e = r.yamnetEvidence;
  if (!e) return "- YAMNet evidence: not tried (`--no-yamnet-stack`).";
  const f = (x: StackFigures) =>
    `log-loss ${x.logLoss.toFixed(4)}, AUC ${x.auc.toFixed(4)}, ${(100 * x.fprAtTpr90).toFixed(2)} % of non-cry patches above the 90 %-recall threshold`;
  const lines = [
    `- YAMNet evidence: a logistic regression on the combined cry logit and YAMNet's 521 AudioSet class logits, fitted on`,
    `  the out-of-fold patches of the grouped CV (L2 λ on standardised logits), is used only if a second-level grouped CV`,
    `  over the same folds shows it beats Platt scaling alone. Platt alone: ${f(e.platt)}.`,
    ...e.byLambda.map((b) => `  λ ${b.lambda}: ${f(b)}.`),
  ];
  const w = r.manifest.combination.cry.yamnet;
  if (w) {
    const s = strongestEvidence(w);
    lines.push(
      `  **Used** (λ ${e.lambda}). Classes that raise the cry probability most: ${s.up}; that lower it most: ${s.down}`,
      "  (weights per unit of class logit).",
    );
  } else lines.push("  **Not used**: it did not beat Platt scaling alone.");
  return lines.join("\n");
}

/** A combination as text, its 521 YAMNet evidence weights summarised. */
function describeCombination(c: Combination): string {
  const { yamnet, ...cry } = c.cry;
  return JSON.stringify({ ...c, cry: yamnet ? { ...cry, yamnet: `${yamnet.length} weights` } : cry });
}

/** The AudioSet classes whose logits push the cry probability most, up and down. */
function strongestEvidence(weights: readonly number[], count = 6): { up: string; down: string } {
  const names = loadClassMap().names;
  const order = weights.map((w, k) => ({ w, k })).sort((a, b) => b.w - a.w);
  const fmt = (xs: typeof order) =>
    xs.map((x) => `${names[x.k]} (${x.w >= 0 ? "+" : ""}${x.w.toFixed(2)})`).join(", ");
  return { up: fmt(order.slice(0, count)), down: fmt(order.slice(-count).reverse()) };
}

const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(3);
const ci = (i: Interval) => `${f3(i.mean)} [${f3(i.lo)}, ${f3(i.hi)}]`;
const ms = (s: { mean: number; std: number }) => `${f3(s.mean)} ± ${f3(s.std)}`;

function reportTable(title: string, r: MultiClassReport, base: MultiClassReport): string {
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

function detectionLines(title: string, m: SetMetrics, thr: number): string {
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
  await writePlots(r);
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

async function writePlots(r: ReportInput): Promise<void> {
  const t = r.testMetrics;
  // confusion: reasons (test cry clips) and detection by true label (test clips, at the cry threshold)
  const means = clipMeans(r.testPreds, r.testClipLabels.length);
  const detLabels = [...REASONS, "noise", "laugh", "silence"];
  const det = detLabels.map(() => [0, 0]);
  r.testClipLabels.forEach((label, i) => {
    if (!means.has[i]) return;
    det[detLabels.indexOf(label)][means.cry[i] >= r.thresholds.cry ? 1 : 0]++;
  });
  await renderPng(
    {
      hconcat: [
        confusionSpec("Reasons, test cry clips (counts, row %)", REASONS, REASONS, t.reason.confusion),
        confusionSpec(`Cry detection at ${r.thresholds.cry}, test clips`, detLabels, ["not cry", "cry"], det),
      ],
    },
    join(r.runDir, "confusion_matrix.png"),
  );
  const hist = [
    ...r.history.map((e) => ({ head: "fc", ...e })),
    ...r.historyMnv3.map((e) => ({ head: "mnv3", ...e })),
  ].flatMap((e) => [
    { head: e.head, epoch: e.epoch, series: "train loss", value: e.trainLoss, panel: "loss" },
    { head: e.head, epoch: e.epoch, series: "val loss", value: e.valLoss, panel: "loss" },
    { head: e.head, epoch: e.epoch, series: "train cry acc", value: e.trainCryAcc, panel: "accuracy" },
    { head: e.head, epoch: e.epoch, series: "val cry acc", value: e.valCryAcc, panel: "accuracy" },
    {
      head: e.head,
      epoch: e.epoch,
      series: "train reason bal. acc",
      value: e.trainReasonBalAcc,
      panel: "accuracy",
    },
    {
      head: e.head,
      epoch: e.epoch,
      series: "val reason bal. acc",
      value: e.valReasonBalAcc,
      panel: "accuracy",
    },
  ]);
  await renderPng(
    {
      vconcat: ["fc", "mnv3"].map((head) =>
        linesSpec(
          `${head} head, final training (inner grouped validation)`,
          hist.filter((h) => h.head === head),
          "epoch",
          "value",
          "series",
          { column: "panel", width: 300, height: 200 },
        ),
      ),
    },
    join(r.runDir, "train_val_accuracy_loss.png"),
  );
  const rel = [
    ...t.cryReliability
      .filter((b) => b.count > 0)
      .map((b) => ({ kind: `cry (ECE ${f3(t.cryEce)})`, confidence: b.confidence, observed: b.accuracy })),
    ...t.reasonReliability
      .filter((b) => b.count > 0)
      .map((b) => ({
        kind: `reason top-1 (ECE ${f3(t.reasonEce)})`,
        confidence: b.confidence,
        observed: b.accuracy,
      })),
  ];
  await renderPng(
    linesSpec("Reliability diagram, test split", rel, "confidence", "observed", "kind", {
      xTitle: "predicted probability",
      yTitle: "observed frequency",
      diagonal: true,
    }),
    join(r.runDir, "reliability_diagram.png"),
  );
  const curveRows = (p: PatchPredictions, name: string) =>
    thin(curves(p.cry, p.isCry)).map((c) => ({
      name,
      fpr: c.fpr,
      tpr: c.tpr,
      recall: c.recall,
      precision: c.precision,
    }));
  const rows = [
    ...curveRows(r.testPreds, `band-limited negatives (AUC ${f3(t.cryPatchAuc)})`),
    ...curveRows(r.fullBandTestPreds, `full-band negatives (AUC ${f3(t.cryPatchAucFullBandNegatives)})`),
  ];
  await renderPng(
    {
      hconcat: [
        linesSpec("Cry ROC, test patches", rows, "fpr", "tpr", "name", {
          diagonal: true,
          width: 300,
          height: 300,
        }),
        linesSpec(
          `Cry PR (F1 at ${r.thresholds.cry}: ${f3(t.cryPatchF1)})`,
          rows,
          "recall",
          "precision",
          "name",
          { width: 300, height: 300 },
        ),
      ],
    },
    join(r.runDir, "cry_roc_pr.png"),
  );
}

function thin<T>(xs: T[], max = 400): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
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

function modelCard(r: ReportInput): string {
  const m = r.manifest;
  const t = r.testMetrics;
  const cv = r.cvPooled;
  const s = r.summary;
  return `# ${m.name} — babymon cry and reason heads (${m.version})

Trained by \`${r.options.command}\` on ${new Date().toISOString()}. Two small heads on Google's
YAMNet (frozen, from \`${m.yamnet.sourceFile}\`, sha256 \`${m.yamnet.sourceSha256}\`):

- **fc/** — YAMNet + FC head: 1024-d embedding → Dense(${DEFAULT_TRAIN_OPTIONS.fcHidden}) → BatchNorm → ReLU → Dropout(0.5) → {cry logit, 5 reason logits}.
- **mnv3/** — MobileNetV3 head on YAMNet's conv layer ${m.featureLayer} output (${m.featureShape.join("×")}): 1×1 stem with hard-swish,
  an inverted-residual block (expand ×4, depthwise 3×3, squeeze-and-excite with hard-sigmoid, linear projection,
  identity shortcut), a stride-2 inverted-residual block, a 1×1 hard-swish layer, global average pool, dropout, same outputs.
  Why on a frozen intermediate map: convolution back-propagation on full 96×64 log-mel patches from scratch is far
  too slow in TF.js on a 2-core CPU (no Conv2DBackpropFilter on wasm, slow conv gradients on cpu). The depthwise
  convolution is written as shifted per-channel products and the 1×1 convolutions as Dense layers, so every backend
  (wasm included) can train it.
- **Ensembles**: ${m.heads.fc.length > 1 ? `each head is ${m.heads.fc.length} members (${m.heads.fc.join(", ")}; ${m.heads.mnv3.join(", ")}) trained alike on the same data from different seeds (initialisation, dropout, mixup, batch order); the daemon averages their logits. The cross-validation below trains one member per fold; the test figures are the ensembles'.` : "one member per head."}
- **Combination** (never tuned on the test split): the FC/MobileNetV3 weights, the reason temperature and biases
  and the unsure threshold are chosen on the out-of-fold predictions of the grouped CV; the cry Platt scaling and
  the cry threshold are refitted on the final training's inner grouped validation split. Cry logit =
  ${m.combination.cry.fcWeight}·fc + ${(1 - m.combination.cry.fcWeight).toFixed(1)}·mnv3, probability = sigmoid(${m.combination.cry.scale.toFixed(3)}·z + ${m.combination.cry.bias.toFixed(3)});
  reason logits = ${m.combination.reason.fcWeight}·fc + ${(1 - m.combination.reason.fcWeight).toFixed(1)}·mnv3, softmax(z / ${m.combination.reason.temperature.toFixed(3)} + bias), bias = [${m.combination.reason.bias.map((b) => b.toFixed(2)).join(", ")}]
  (calibrated to the training labels' frequencies).
${yamnetEvidenceText(r)}
- Thresholds: cry ${m.thresholds.cry} (best F1 on validation patches), "unsure" below a top reason probability of ${m.thresholds.unsure}.
- Weights: kernels uint8-quantized (min + scale·q, per tensor), biases and batch-norm vectors float32.

## Band-limiting policy — the daemon must apply it

Every Donate-a-Cry clip is 8 kHz (nothing above 4 kHz); the household and laugh clips are full-band. A model can
learn "no energy above 4 kHz = cry". Training low-passes **every** clip at ${m.bandLimitHz} Hz before the log-mel, and the
daemon must do the same (\`bandLimitHz\` in manifest.json; \`Heads.bandLimitHz\`).
Test split: cry ROC AUC ${f3(t.cryPatchAuc)} with band-limited negatives, ${f3(t.cryPatchAucFullBandNegatives)} with full-band negatives
fed to the same heads.${r.shortcut ? ` The same FC head trained without the policy: ${f3(r.shortcut.fullBandNegatives)} on full-band negatives but ${f3(r.shortcut.bandLimitedNegatives)} on band-limited negatives — the shortcut it would otherwise learn.` : ""}

## Data and licences

| data | use | licence |
|---|---|---|
| Donate-a-Cry corpus (cleaned; gveres/donateacry-corpus): hungry, belly_pain, burping, discomfort (incl. cold/hot), tired, 8 kHz | training + evaluation | ODbL 1.0 / DbCL 1.0 — contains information from the Donate-a-Cry corpus, made available under the Open Database License |
| ESC-50 household/environment clips → \`noise\` | training + evaluation | CC BY-NC 3.0 (ESC-10 classes CC BY 3.0), K. J. Piczak; per-clip attribution in the data's ATTRIBUTION.csv — non-commercial |
| Baby laughter chunks from one home recording → \`laugh\` | training + evaluation only | no stated licence: not redistributed, only these trained weights derive from it |
| generated room tone → \`silence\` (${r.options.silenceClips} clips, −90 … −45 dBFS) | training + evaluation | generated by the script |
| YAMNet | frozen feature extractor | Apache-2.0 |

Because of ESC-50's NC licence and the laugh data's missing licence, these weights are for non-commercial use.
The sha256 of every training file is in manifest.json (\`training.files\`).

Clips used: ${JSON.stringify(r.clipsByLabel)}. Groups (${r.groups}): the Donate-a-Cry app-install uuid (≈ one family),
the ESC-50 freesound source id, one group for the laugh recording, one per generated clip. No group is on both sides
of any split, and augmentation happens after splitting, on training clips only (${r.augmentation}).

## Evaluation (honest figures)

${s.protocol}. Reason figures are clip-level on the five reasons (mean of patch probabilities); 95 % intervals are
bootstrap over groups.${
    r.options.cryActiveDb > 0
      ? ` Cry clips' patches more than ${r.options.cryActiveDb} dB below the clip's loudest patch (pauses, room tone: they
hold no crying) are left out of training and of every figure, patch- and clip-level.`
      : ""
  }

| figure | grouped CV (out-of-fold, pooled) | hold-out test | majority baseline | goal |
|---|---|---|---|---|
| reason macro-F1, prior-corrected decision argmax p(r\\|x)/p(r) | ${ci(cv.reasonPriorCorrectedMacroF1CI)} | ${ci(t.reasonPriorCorrectedMacroF1CI)} | ${f3(cv.reasonBaseline.macroF1)} | ≥ 0.35 |
| reason balanced accuracy, prior-corrected | ${ci(cv.reasonPriorCorrectedBalancedAccCI)} | ${ci(t.reasonPriorCorrectedBalancedAccCI)} | ${f3(cv.reasonBaseline.balancedAccuracy)} | ≥ 0.40 |
| reason macro-F1, argmax of the calibrated probabilities | ${ci(cv.reasonMacroF1CI)} | ${ci(t.reasonMacroF1CI)} | ${f3(cv.reasonBaseline.macroF1)} | |
| reason accuracy, argmax of the calibrated probabilities | ${f3(cv.reason.accuracy)} | ${f3(t.reason.accuracy)} | ${f3(cv.reasonBaseline.accuracy)} | |
| cry ROC AUC, patches, band-limited negatives | ${f3(cv.cryPatchAuc)} | ${f3(t.cryPatchAuc)} | | ≥ 0.97 |
| cry ROC AUC, patches, full-band negatives | ${f3(cv.cryPatchAucFullBandNegatives)} | ${f3(t.cryPatchAucFullBandNegatives)} | | ≥ 0.98 |
| cry ROC AUC, clips | ${ci(cv.cryClipAucCI)} | ${ci(t.cryClipAucCI)} | | |
| cry ROC AUC, clips, per CV fold (mean ± std) | ${ms(s.cvPerFold.combined.cryClipAuc)} | | | |
| YAMNet's own cry score, ROC AUC (patches) | | ${f3(t.yamnetCryPatchAuc)} | | |
| cry F1 at the threshold (patches) | ${f3(cv.cryPatchF1)} | ${f3(t.cryPatchF1)} | | |
| cry ECE (patches) | ${f3(cv.cryEce)} | ${f3(t.cryEce)} | | ≤ 0.05 |
| reason ECE (top label, clips) | ${f3(cv.reasonEce)} | ${f3(t.reasonEce)} | | ≤ 0.05 |
| share of cry clips answered "unsure" | ${f3(cv.unsureRate)} | ${f3(t.unsureRate)} | | |

The CV cry figures include the fold that holds out the single laugh recording: those heads never heard baby
laughter, and laughter is the sound most like crying — the exported heads did hear it (it cannot be in the test
split, being one recording). Pooling out-of-fold predictions of different fold models also costs AUC; the
per-fold mean is in the table. YAMNet's own cry score (classes 19–21) on the same test patches: ${f3(t.yamnetCryPatchAuc)}.

Per-fold figures (mean ± std over folds and seeds), fc / mnv3 / combined reason macro-F1:
${(["fc", "mnv3", "combined"] as const).map((h) => ms(s.cvPerFold[h].reasonMacroF1)).join(" / ")}.
${r.leaky ? `\nLEAKY comparison only (augmented copies split at random, as the original research did): reason accuracy ${f3(r.leaky.reasonAccuracy)}, macro-F1 ${f3(r.leaky.reasonMacroF1)} — not a real figure.\n` : ""}
## What was tried for the reasons

Class-balanced weights (capped at 10), label smoothing 0.1, mixup within cry batches, noise-mixed copies of the
training cries, two head architectures and their combination, clip-level averaging of patch probabilities, and a
prior-corrected decision (argmax p(r|x)/p(r), which is what macro-F1 and balanced accuracy reward). Under grouped
evaluation (no family on both sides) none of it beats the majority baseline: the fitted reason temperature is
${m.combination.reason.temperature.toFixed(1)}, i.e. the calibrated reason probabilities are essentially the label frequencies, and the unsure
threshold (${m.thresholds.unsure}) means the daemon ${m.thresholds.unsure >= 1 ? 'always answers "unsure"' : "rarely names a reason"}. The leaky protocol's higher figure shows where the
original research's numbers came from: copies and families on both sides of the split.

## Intended use and limits

- Intended use: a local baby monitor's hint that a baby is crying, and a *guess* at why, for parents who are nearby.
- **Not a medical device.** It does not diagnose pain, illness or hunger; never use it instead of looking after the baby.
- The reason labels are parents' guesses recorded in an app, unverified, 84 % "hungry", and come from ~200 families;
  grouped evaluation shows how little of the reason is recoverable from the sound — treat the reason as weak
  evidence, and "unsure" as the normal answer.
- Cry detection was evaluated on clips from phones (8 kHz) against ESC-50 sounds, laughter and room tone; real
  nurseries (other babies, TV, white-noise machines, speech) will differ. Check the false-alarm rate in your room.
`;
}
