import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { ARCH_RECIPES, type ArchName, SMOKE_SCALE } from "../archs/index.js";
import type { ArchProtocol, CompareArch, CompareOptions } from "./types.js";

/**
 * Relative training cost of each patch arch, for its share of the run's budget: between equal shares and
 * shares proportional to the measured training step per patch (ARCH_RECIPES' note: 66–551 ms): the square
 * root of that ratio to base-cnn's, so the large
 * archs get more time but still far fewer epochs.
 */
export const PATCH_ARCH_COST: Record<ArchName, number> = {
  "base-cnn": 1,
  resnet18: 1.3,
  resnet50: 2.1,
  "efficientnet-b0": 1.35,
  "mobilenetv3-large": 1.15,
  "mobilenetv3-small": 0.7,
};

/**
 * CV folds a patch arch trains under a budget (the first n folds of the run's grouped fold assignment): the
 * larger archs get fewer folds so each fold trains for longer — ResNet-50 one grouped split.
 */
const BUDGET_FOLDS: Record<ArchName, number> = {
  "base-cnn": 3,
  resnet18: 2,
  resnet50: 1,
  "efficientnet-b0": 2,
  "mobilenetv3-large": 2,
  "mobilenetv3-small": 3,
};

/** Epochs each budgeted fit aims at (the epoch size follows from the measured throughput). */
const TARGET_EPOCHS = 6;
/** Validation patches early stopping watches per epoch under a budget (a fixed random subset). */
export const BUDGET_VAL_SAMPLES = 256;

/** Patches scored per held-out clip under a budget (inference of ResNet-50 on every patch costs more than its training). */
export const BUDGET_EVAL_PATCHES_PER_CLIP = 2;

/** Widths and depths of `--smoke`: every arch, tiny. */
const SMOKE = { ...SMOKE_SCALE, epochs: 2, samplesPerEpoch: 32, folds: 1, valSamples: 32 };

/** How `arch` is trained and evaluated in this run (before any throughput is measured). */
export function protocolFor(arch: CompareArch, o: CompareOptions): ArchProtocol {
  if (arch === "yamnet-fc" || arch === "yamnet-mnv3") {
    const fc = arch === "yamnet-fc";
    return {
      // smoke: the first fold only, like the patch archs
      folds: o.smoke ? SMOKE.folds : o.folds,
      cvSeeds: fc ? o.seeds : o.mnv3Seeds,
      maxEpochs: fc ? o.maxEpochs : o.mnv3MaxEpochs,
      samplesPerEpoch: fc ? 0 : o.mnv3SamplesPerEpoch,
      fitSeconds: Number.POSITIVE_INFINITY,
      maxValSamples: 0,
      maxEvalPatchesPerClip: 0,
      width: 1,
      depth: 1,
      note: `today's ${fc ? "FC" : "MobileNetV3"} head on YAMNet features, the legacy train-export's CV (${o.folds} folds × ${fc ? o.seeds : o.mnv3Seeds} fold assignments)`,
    };
  }
  if (o.smoke) {
    return {
      folds: SMOKE.folds,
      cvSeeds: 1,
      maxEpochs: SMOKE.epochs,
      samplesPerEpoch: SMOKE.samplesPerEpoch,
      fitSeconds: Number.POSITIVE_INFINITY,
      maxValSamples: SMOKE.valSamples,
      maxEvalPatchesPerClip: 0,
      width: SMOKE.width,
      depth: SMOKE.depth,
      note: `smoke: width ×${SMOKE.width}, depth ×${SMOKE.depth}, ${SMOKE.epochs} epochs of ${SMOKE.samplesPerEpoch} patches`,
    };
  }
  const patchArchs = o.archs.filter((a): a is ArchName => a !== "yamnet-fc" && a !== "yamnet-mnv3");
  const total = patchArchs.reduce((s, a) => s + PATCH_ARCH_COST[a], 0);
  const folds = Math.min(BUDGET_FOLDS[arch], o.folds);
  const fits = folds + (o.leaky ? 1 : 0);
  const shareSeconds = (o.budgetMinutes * 60 * PATCH_ARCH_COST[arch]) / total;
  return {
    folds,
    cvSeeds: 1,
    maxEpochs: ARCH_RECIPES[arch].maxEpochs,
    samplesPerEpoch: 0,
    fitSeconds: shareSeconds / fits,
    maxValSamples: BUDGET_VAL_SAMPLES,
    maxEvalPatchesPerClip: BUDGET_EVAL_PATCHES_PER_CLIP,
    width: 1,
    depth: 1,
    note: `budget: ${(shareSeconds / 60).toFixed(1)} of ${o.budgetMinutes} min → ${folds} of ${o.folds} grouped folds, 1 fold assignment, ${fits} fits of ≤ ${(shareSeconds / fits / 60).toFixed(1)} min each; ≤ ${BUDGET_EVAL_PATCHES_PER_CLIP} evenly spaced patches scored per held-out clip`,
  };
}

/**
 * Seconds per training patch of `model` (forward + backward + Adam step, batches of `batchSize` random
 * patches) on the active backend, after one warm-up batch.
 */
export async function secondsPerTrainingPatch(
  model: tfl.LayersModel,
  inputShape: number[],
  batchSize: number,
  batches = 2,
): Promise<number> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = tf.train.adam(1e-4);
  const x = tf.randomNormal([batchSize, ...inputShape], 0, 1, "float32", 11);
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const outs = model.apply(x, { training: true }) as tf.Tensor[];
      return tf.addN(outs.map((o) => tf.mean(tf.square(o)))) as tf.Scalar;
    }, vars);
    opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await step();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) await step();
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  opt.dispose();
  return seconds / (batches * batchSize);
}

/** The budgeted protocol with its epoch size set from the measured throughput (so ~TARGET_EPOCHS epochs fit). */
export function withEpochSize(p: ArchProtocol, secondsPerPatch: number, batchSize: number): ArchProtocol {
  if (!Number.isFinite(p.fitSeconds)) return p;
  // a fit also predicts its validation subset every epoch (~1/3 the cost of training a patch)
  const perEpoch = (p.fitSeconds * 0.9) / TARGET_EPOCHS;
  const samples = Math.floor(perEpoch / secondsPerPatch - p.maxValSamples / 3);
  const samplesPerEpoch = Math.max(2 * batchSize, Math.floor(samples / batchSize) * batchSize);
  return {
    ...p,
    samplesPerEpoch,
    note: `${p.note}; measured ${(1 / secondsPerPatch).toFixed(1)} training patches/s → epochs of ${samplesPerEpoch} random training patches, ≤ ${p.maxEpochs} epochs or the fit's time, validation on ${p.maxValSamples} patches`,
  };
}
