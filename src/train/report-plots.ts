import { join } from "node:path";
import { REASONS } from "../events.js";
import { clipMeans, type PatchPredictions } from "./evaluate.js";
import { curves } from "./metrics.js";
import { confusionSpec, linesSpec, renderPng } from "./plots.js";
import { f3 } from "./report-format.js";
import type { EpochRecord } from "./trainer.js";
import type { ReportInput } from "./types.js";

/**
 * What the figures are drawn from: one evaluation set's metrics and predictions (by default the test split),
 * and training curves per model (default: the final fc and mnv3 heads).
 */
export type PlotInput = Pick<
  ReportInput,
  "runDir" | "testMetrics" | "testPreds" | "fullBandTestPreds" | "testClipLabels" | "thresholds"
> & {
  curves: Record<string, EpochRecord[]>;
  /** e.g. "test split" (cry clips: "test cry clips", patches: "test patches") */
  setName?: string;
  curvesTitle?: string;
};

/** The run folder's figures: confusion matrices, training curves, reliability diagram, cry ROC and PR curves. */
export async function writePlots(r: PlotInput): Promise<void> {
  const t = r.testMetrics;
  const set = r.setName ?? "test";
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
        confusionSpec(`Reasons, ${set} cry clips (counts, row %)`, REASONS, REASONS, t.reason.confusion),
        confusionSpec(
          `Cry detection at ${r.thresholds.cry}, ${set} clips`,
          detLabels,
          ["not cry", "cry"],
          det,
        ),
      ],
    },
    join(r.runDir, "confusion_matrix.png"),
  );
  const hist = [...Object.entries(r.curves).flatMap(([head, h]) => h.map((e) => ({ head, ...e })))].flatMap(
    (e) => [
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
    ],
  );
  await renderPng(
    {
      vconcat: Object.keys(r.curves).map((head) =>
        linesSpec(
          `${head} ${r.curvesTitle ?? "head, final training (inner grouped validation)"}`,
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
    linesSpec(`Reliability diagram, ${set}`, rel, "confidence", "observed", "kind", {
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
        linesSpec(`Cry ROC, ${set} patches`, rows, "fpr", "tpr", "name", {
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
