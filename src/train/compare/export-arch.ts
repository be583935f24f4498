import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { PATCH_SIZE, YAMNET_FRONTEND } from "../../dsp/frontend-params.js";
import { REASONS } from "../../events.js";
import { HEADS_MANIFEST_FORMAT, HEADS_MANIFEST_VERSION } from "../../inference/heads.js";
import {
  PATCH_MODEL_INPUT,
  type PatchModelManifest,
  patchProbabilities,
} from "../../inference/patch-model.js";
import { PATCH_SHAPE } from "../archs/index.js";
import { singleHead } from "../combination.js";
import { applyQuantization, saveQuantizedModel } from "../export.js";
import { applyBandLimit } from "../features.js";
import { clipAudio16k } from "../stages/data.js";
import { gitCommit, patchHopSeconds, type ReferencePredictions, referenceClips } from "../stages/export.js";
import type { ArchSetUp } from "./evaluate-arch.js";
import { logMelPatches } from "./patches.js";
import type { CompareOptions } from "./types.js";
import { isPatchArch } from "./types.js";

export interface ExportInput extends ArchSetUp {
  outDir: string;
  o: Pick<CompareOptions, "seed" | "bandLimitHz" | "patchStride" | "name" | "command" | "log">;
}

const K = REASONS.length;

/** Raw logits of a patch model for patches (n × PATCH_SIZE values), standardized by `z` first. */
function patchLogits(
  model: tfl.LayersModel,
  patches: Float32Array,
  z: { mean: number; std: number },
): { cry: Float32Array; reason: Float32Array } {
  const n = patches.length / PATCH_SIZE;
  const x = Float32Array.from(patches, (v) => (v - z.mean) / z.std);
  return tf.tidy(() => {
    const [c, r] = model.predict(tf.tensor4d(x, [n, ...PATCH_SHAPE])) as tf.Tensor[];
    return { cry: c.dataSync() as Float32Array, reason: r.dataSync() as Float32Array };
  });
}

/**
 * `--export-arch`: the arch trained on the whole train/dev split (early stopping on its inner grouped
 * validation split), kernels uint8-quantized, saved as a TF.js layers model with a manifest the daemon loads in
 * place of the heads (`"input": "logmel-patch"`), and reference.json: its per-patch predictions on a few test
 * clips after quantization (what the exported model must reproduce). Uncalibrated: the combination is the
 * identity (sigmoid / softmax of the logits), thresholds 0.5, as the comparison scores every arch.
 */
export async function exportArch(input: ExportInput): Promise<string> {
  const { fitter, protocol, clips, splits, features, outDir, o } = input;
  const arch = fitter.arch;
  if (!isPatchArch(arch)) {
    throw new Error(
      `--export-arch ${arch}: today's YAMNet heads are exported by \`npm run train-export -- --legacy\` (FC and MobileNetV3 together); --export-arch exports the log-mel-patch archs`,
    );
  }
  const t0 = performance.now();
  const trainIds = splits.trainDev.filter((i) => features.usable.has(i));
  const fitted = await fitter.fit({ trainIds, seed: o.seed * 100 + 99, copies: features.copiesFor(0) });
  applyQuantization(fitted.model);
  const z = fitted.standardization!;
  const combination = singleHead("fc");
  const reference: ReferencePredictions = {
    note: "per-patch predictions of the exported model: 16 kHz, band-limited at bandLimitHz, log-mel patches taken every patchHopSeconds from the start",
    patchHopSeconds: patchHopSeconds(o.patchStride),
    clips: [],
  };
  for (const id of referenceClips(
    clips,
    splits.test.filter((i) => features.usable.has(i)),
  )) {
    const c = clips[id];
    const l = patchLogits(
      fitted.model,
      logMelPatches(applyBandLimit(await clipAudio16k(c), o.bandLimitHz), o.patchStride),
      z,
    );
    const p = patchProbabilities(l.cry, l.reason, combination);
    reference.clips.push({
      file: c.relPath,
      sha256: c.sha256,
      label: c.label,
      patches: Array.from(p.cry, (cry, i) => ({
        cry,
        reasons: Array.from({ length: K }, (_, k) => p.reasons[i * K + k]),
      })),
    });
  }
  const commit = gitCommit();
  const manifest: PatchModelManifest = {
    format: HEADS_MANIFEST_FORMAT,
    formatVersion: HEADS_MANIFEST_VERSION,
    input: PATCH_MODEL_INPUT,
    arch,
    patchShape: [...PATCH_SHAPE] as PatchModelManifest["patchShape"],
    name: `${o.name}-${arch}`,
    version: `${new Date().toISOString().slice(0, 10)}-${commit.slice(0, 7)}`,
    labels: { reasons: [...REASONS], nonCry: ["noise", "laugh", "silence"] },
    frontend: { ...YAMNET_FRONTEND },
    bandLimitHz: o.bandLimitHz,
    model: "model",
    inputStandardization: z,
    combination,
    thresholds: { cry: 0.5, unsure: 0.5 },
    trainedOn: "train/dev split (the hold-out test split was never used for training or for any choice)",
    training: {
      command: o.command,
      gitCommit: commit,
      date: new Date().toISOString(),
      seconds: Math.round((performance.now() - t0) / 1000),
      recipe: input.recipe,
      protocol: protocol.note,
      width: protocol.width,
      depth: protocol.depth,
      bestEpoch: fitted.bestEpoch,
      epochs: fitted.history.length,
      patchHopSeconds: patchHopSeconds(o.patchStride),
      calibration: "none: sigmoid / softmax of the logits",
    },
  };
  mkdirSync(outDir, { recursive: true });
  await saveQuantizedModel(fitted.model, join(outDir, "model"));
  fitted.model.dispose();
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(outDir, "reference.json"), `${JSON.stringify(reference, null, 2)}\n`);
  o.log(`Exported ${arch} to ${outDir} (best epoch ${fitted.bestEpoch}/${fitted.history.length})`);
  return outDir;
}
