import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { countByLabel } from "./dataset.js";
import { HeadFitter } from "./head-fitter.js";
import { RunProgress } from "./progress.js";
import { writeRunReports } from "./report.js";
import { calibrate } from "./stages/calibration.js";
import { crossValidate } from "./stages/cross-validation.js";
import { collectClips, groupCount } from "./stages/data.js";
import { bandwidthShortcut, leakyProtocol } from "./stages/diagnostics.js";
import { augmentationText, headsManifest, referencePredictions, saveHeads } from "./stages/export.js";
import { extractFeatures } from "./stages/features.js";
import { evaluateOnTest, trainFinalHeads } from "./stages/final-heads.js";
import { evaluationBasis, splitClips } from "./stages/splits.js";
import { summarize } from "./stages/summary.js";
import type { RunResult, TrainExportOptions } from "./types.js";

/**
 * `npm run train-export`: trains the cry and reason heads on YAMNet features, evaluates them with grouped
 * cross-validation and a hold-out test split, and exports them with their manifest and model card. Each step is
 * a stage in src/train/stages/; every choice (combination, calibration, thresholds) is made on train/dev data.
 */
export async function runTrainExport(options: TrainExportOptions): Promise<RunResult> {
  const t0 = performance.now();
  const runDir = join(options.runsDir, `${timestamp()}${options.smoke ? "-smoke" : ""}`);
  mkdirSync(runDir, { recursive: true });
  const o = options.exportIntoRun ? { ...options, outDir: join(runDir, "model") } : options;
  o.log(`Run folder: ${runDir}`);

  const data = collectClips(o);
  const { clips, skipped } = data;
  const splits = splitClips(clips, o);
  const progress = new RunProgress(o.progress);
  const features = await extractFeatures(data, splits, o, progress);
  const { mapShape } = features;
  const basis = evaluationBasis(clips, splits.trainDev);
  const fitter = new HeadFitter(clips, mapShape, o, progress);

  const cv = await crossValidate({ clips, splits, features, basis, fitter, progress, o });
  const calibration = calibrate({ clips, cv, features, basis, o });
  const foldResults = [...cv.foldResults, ...calibration.cvCombined];

  const finalIds = splits.trainDev.filter((i) => features.usable.has(i));
  const testIds = splits.test.filter((i) => features.usable.has(i));
  const finals = await trainFinalHeads({
    clips,
    finalIds,
    features,
    calibration,
    basis,
    fitter,
    progress,
    o,
  });
  const { evidenceFor } = calibration;
  const test = evaluateOnTest({ clips, testIds, finals, evidenceFor, basis, mapShape, o });

  const shortcut =
    o.bandLimitHz > 0 ? await bandwidthShortcut({ finalIds, test, fitter, mapShape, o }) : null;
  const copies = features.copiesFor(0) ?? [];
  const leaky = o.leaky ? await leakyProtocol({ clips, finalIds, copies, basis, fitter, mapShape, o }) : null;
  progress.stop();

  const elapsed = (performance.now() - t0) / 1000;
  const { cvPooled, cvPooledByHead } = calibration;
  const summary = summarize({
    folds: foldResults,
    cvPooled,
    cvPooledByHead,
    test: test.metrics,
    shortcut,
    leaky,
    o,
  });
  const manifest = headsManifest({ clips, finalIds, features, finals, summary, skipped, elapsed, o });
  const reference = await referencePredictions({ clips, testIds, features, finals, evidenceFor, o });
  if (o.outDir) await saveHeads(o.outDir, finals, manifest, reference);
  await writeRunReports({
    runDir,
    outDir: o.outDir,
    manifest,
    summary,
    foldResults,
    cvPooled,
    cvPooledByHead,
    testMetrics: test.metrics,
    testPreds: test.preds,
    fullBandTestPreds: test.fullBandPreds,
    testClipLabels: clips.map((c) => c.label),
    clipPaths: clips.map((c) => c.relPath),
    history: finals.fc.history,
    historyMnv3: finals.mnv3.history,
    shortcut,
    leaky,
    thresholds: finals.thresholds,
    cvThresholds: calibration.thresholds,
    cvCombination: calibration.combination,
    clipsByLabel: countByLabel(clips.filter((c) => features.usable.has(c.id))),
    groups: groupCount(clips),
    timings: {
      extractSeconds: features.extractSeconds,
      cvSeconds: cv.cvSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
    },
    options: o,
    skipped,
    augmentation: augmentationText(o),
    yamnetEvidence: calibration.stackChoice,
  });
  for (const m of [...finals.fc.models, ...finals.mnv3.models]) m.dispose();
  features.yamnet.dispose();
  return {
    runDir,
    outDir: o.outDir,
    seconds: (performance.now() - t0) / 1000,
    metrics: summary,
    manifest,
    skipped,
  };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
}
