import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { YAMNET_FRONTEND } from "../../dsp/frontend-params.js";
import { REASONS } from "../../events.js";
import {
  ensembleDirs,
  HEADS_MANIFEST_FORMAT,
  HEADS_MANIFEST_VERSION,
  type HeadsManifest,
} from "../../inference/heads.js";
import { PROJECT_ROOT } from "../../version.js";
import { QUIET_COPY_DBFS } from "../augment.js";
import type { TrainLabel } from "../dataset.js";
import { predictEnsembleLogits, predictionsOfSamples, toHeadLogits } from "../evaluate.js";
import { saveQuantizedModel } from "../export.js";
import { applyBandLimit } from "../features.js";
import type { HeadKind } from "../models.js";
import type { Sample } from "../sample.js";
import type { RunClip, RunSummary, SkippedFile, TrainExportOptions } from "../types.js";
import type { Calibration } from "./calibration.js";
import { clipAudio16k } from "./data.js";
import type { RunFeatures } from "./features.js";
import type { FinalHeads } from "./final-heads.js";

/** Per-patch predictions of the exported heads on a few test clips (reference.json), for the daemon's tests. */
export interface ReferencePredictions {
  note: string;
  patchHopSeconds: number;
  clips: Array<{
    file: string;
    sha256: string;
    label: string;
    patches: Array<{ cry: number; reasons: number[] }>;
  }>;
}

export type ManifestOptions = Pick<
  TrainExportOptions,
  | "name"
  | "command"
  | "data"
  | "bandLimitHz"
  | "featureLayer"
  | "patchStride"
  | "ensemble"
  | "silenceClips"
  | "augment"
  | "augmentNegatives"
  | "quietCopies"
  | "cryActiveDb"
>;

export interface ManifestInput {
  clips: RunClip[];
  finalIds: number[];
  features: Pick<RunFeatures, "yamnet" | "mapShape">;
  finals: Pick<FinalHeads, "combination" | "thresholds">;
  summary: RunSummary;
  skipped: SkippedFile[];
  /** seconds the run has taken so far */
  elapsed: number;
  o: ManifestOptions;
}

/** Stage 9a, the heads' manifest.json: what they are, how they were trained and combined, and their figures. */
export function headsManifest(input: ManifestInput): HeadsManifest {
  const { clips, finalIds, features, finals, summary, skipped, elapsed, o } = input;
  const { yamnet } = features;
  const trainingFiles = clips
    .filter((c) => c.path && finalIds.includes(c.id))
    .map((c) => ({ file: c.relPath, sha256: c.sha256, label: c.label, group: c.group }));
  const commit = gitCommit();
  return {
    format: HEADS_MANIFEST_FORMAT,
    formatVersion: HEADS_MANIFEST_VERSION,
    name: o.name,
    version: `${new Date().toISOString().slice(0, 10)}-${commit.slice(0, 7)}`,
    labels: { reasons: [...REASONS], nonCry: ["noise", "laugh", "silence"] },
    yamnet: { sourceSha256: yamnet.manifest.source.sha256, sourceFile: yamnet.manifest.source.file },
    frontend: { ...YAMNET_FRONTEND },
    bandLimitHz: o.bandLimitHz,
    featureLayer: o.featureLayer,
    featureShape: features.mapShape,
    heads: { fc: ensembleDirs("fc", o.ensemble), mnv3: ensembleDirs("mnv3", o.ensemble) },
    combination: finals.combination,
    thresholds: finals.thresholds,
    trainedOn: "train/dev split (the hold-out test split was never used for training or for any choice)",
    training: {
      command: o.command,
      gitCommit: commit,
      date: new Date().toISOString(),
      seconds: Math.round(elapsed),
      data: relative(PROJECT_ROOT, o.data) || o.data,
      patchHopSeconds: patchHopSeconds(o.patchStride),
      augmentation: augmentationText(o),
      silenceClips: o.silenceClips,
      files: trainingFiles,
      skipped,
    },
    metrics: summary,
  } as HeadsManifest;
}

/** What the training added to its data, in words (manifest.json, model card). */
export function augmentationText(
  o: Pick<TrainExportOptions, "augment" | "augmentNegatives" | "quietCopies" | "cryActiveDb">,
): string {
  return [
    o.augment
      ? `one copy per training cry clip${o.augmentNegatives ? ", household clip and laughter clip" : ""}: gain ±6 dB, circular shift < 0.48 s, household noise from the same training fold at 0–20 dB SNR`
      : null,
    o.quietCopies !== "none"
      ? `one quiet copy of every training ${o.quietCopies === "all" ? "clip, every class alike" : "household clip"}: ${QUIET_COPY_DBFS[0]}…${QUIET_COPY_DBFS[1]} dBFS RMS, circular shift < 0.48 s`
      : null,
    "mixup (Beta 0.4) within cry / within non-cry batches",
    o.cryActiveDb > 0
      ? `cry clips' patches more than ${o.cryActiveDb} dB below the clip's loudest patch (pauses, room tone) are not labelled cry and are left out`
      : null,
  ]
    .filter((x) => x !== null)
    .join("; ");
}

export interface ReferenceInput {
  clips: RunClip[];
  /** the usable test clips */
  testIds: number[];
  features: Pick<RunFeatures, "extractor" | "mapShape">;
  finals: FinalHeads;
  evidenceFor: Calibration["evidenceFor"];
  o: Pick<TrainExportOptions, "bandLimitHz" | "patchStride">;
}

/**
 * Stage 9b, reference.json: the exported heads' per-patch predictions on a few test clips, from float YAMNet
 * outputs as the daemon computes them.
 */
export async function referencePredictions(input: ReferenceInput): Promise<ReferencePredictions> {
  const { clips, testIds, features, finals, evidenceFor, o } = input;
  const K = REASONS.length;
  const reference: ReferencePredictions = {
    note: "per-patch predictions of the exported heads: 16 kHz, band-limited at bandLimitHz, log-mel patches taken every patchHopSeconds from the start",
    patchHopSeconds: patchHopSeconds(o.patchStride),
    clips: [],
  };
  for (const id of referenceClips(clips, testIds)) {
    const c = clips[id];
    const feats = features.extractor.extract(applyBandLimit(await clipAudio16k(c), o.bandLimitHz), true);
    const samples = Array.from(
      { length: feats.patches },
      (_, p): Sample => ({ features: feats, patch: p, cry: c.isCry ? 1 : 0, reason: c.reason, clip: id }),
    );
    const l = toHeadLogits(
      predictEnsembleLogits(finals.fc.models, "fc", samples, features.mapShape),
      predictEnsembleLogits(finals.mnv3.models, "mnv3", samples, features.mapShape),
      evidenceFor(samples),
    );
    const p = predictionsOfSamples(l, finals.combination, samples);
    reference.clips.push({
      file: c.relPath,
      sha256: c.sha256,
      label: c.label,
      patches: samples.map((_, i) => ({
        cry: p.cry[i],
        reasons: Array.from({ length: K }, (_, k) => p.reasons[i * K + k]),
      })),
    });
  }
  return reference;
}

/** Stage 9c: the quantized ensemble members, manifest.json and reference.json into `outDir`. */
export async function saveHeads(
  outDir: string,
  finals: FinalHeads,
  manifest: HeadsManifest,
  reference: ReferencePredictions,
): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const dirs = manifest.heads[kind] ?? [];
    for (const [m, model] of finals[kind].models.entries())
      await saveQuantizedModel(model, join(outDir, dirs[m]));
  }
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(outDir, "reference.json"), `${JSON.stringify(reference, null, 2)}\n`);
}

export function patchHopSeconds(patchStride: number): number {
  return (
    (patchStride * YAMNET_FRONTEND.patchHopFrames * YAMNET_FRONTEND.stftHopSamples) /
    YAMNET_FRONTEND.sampleRate
  );
}

export function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** A few test clips (one per label where possible) for the reference predictions. */
export function referenceClips(clips: RunClip[], testIds: number[]): number[] {
  const pick: number[] = [];
  for (const label of [
    "hungry",
    "noise",
    "laugh",
    "belly_pain",
    "tired",
    "discomfort",
    "burping",
  ] as TrainLabel[]) {
    const c = testIds.find((i) => clips[i].label === label && clips[i].path);
    if (c !== undefined) pick.push(c);
    if (pick.length >= 3) break;
  }
  return pick;
}
