import { DEFAULT_AUGMENTATION } from "../augment.js";
import type { ArchAugmentation, ArchName, ArchRecipe } from "./types.js";

/** The heads' waveform augmentation: one copy per training clip (gain, shift, household noise). */
const STANDARD: ArchAugmentation = { copies: 1, policy: DEFAULT_AUGMENTATION, masking: null };

/**
 * The study's "strong augmentation": two copies, wider gain and lower SNR, plus SpecAugment masks
 * (2 time masks ≤ 12 frames = 0.12 s, 2 frequency masks ≤ 8 of 64 mel bands).
 */
const STRONG: ArchAugmentation = {
  copies: 2,
  policy: { ...DEFAULT_AUGMENTATION, gainDb: [-9, 9], snrDb: [-3, 20] },
  masking: { timeMasks: 2, maxTimeWidth: 12, freqMasks: 2, maxFreqWidth: 8 },
};

const SCRATCH = "trained from scratch, all layers (as in the study)";
/**
 * What the study's transfer-learning choices become without ImageNet weights (none can be fetched here):
 * every layer is trained from scratch and nothing is frozen — a frozen *random* backbone would be a random
 * feature extractor, not the study's pretrained one. `--init FILE` with converted Keras weights would be
 * needed to reproduce the freezing; the learning rates below are from-scratch rates for the same reason.
 */
const NOT_FROZEN = (studied: string) =>
  `study: ${studied} of an ImageNet model; here: no ImageNet weights, so trained from scratch, nothing frozen`;

const COMMON = {
  minLearningRate: 1e-6,
  maxEpochs: 40,
  labelSmoothing: 0.1,
  classWeights: true,
  mixupAlpha: 0,
  mixupProb: 0,
  weightDecay: 0,
} as const;

const MOBILENETV3_LARGE: ArchRecipe = {
  ...COMMON,
  optimizer: "adam",
  learningRate: 1e-3,
  batchSize: 64,
  augmentation: STRONG,
  dropout: 0.2,
  plateau: { factor: 0.5, patience: 3 },
  patience: 5,
  training: NOT_FROZEN("fine-tuned"),
};

/**
 * The study's recipe per architecture (Adam/AdamW, cross-entropy with label smoothing and class weights,
 * ReduceLROnPlateau, early stopping with patience 5–7, lr 1e-3…3e-5, batch 16/32/64). Where the study's
 * value only made sense for pretrained weights (fine-tuning rates of 3e-5…1e-4), the from-scratch rate of
 * the same optimizer is used and the `training` note says so. MobileNetV3-Small was not in the study; it
 * takes the Large recipe.
 *
 * What a budget has to plan for (measured 2026-12-02 on this 2-core machine, width 1, 96×64 patches, wasm
 * backend with the `kernels` branch's gradient kernels, CPU time of one process, batch 8 unless noted):
 * training step per patch — base-cnn 130 ms, resnet18 213, resnet50 551 (560 at batch 16), efficientnet-b0
 * 237, mobilenetv3-large 168 (148 at batch 64), mobilenetv3-small 66; inference per patch — 11.5, 32, 63, 17,
 * 11, 4.6 ms. The cpu backend's base-cnn training step is 17 s per patch (≈ 130× wasm): not an option.
 */
export const ARCH_RECIPES: Record<ArchName, ArchRecipe> = {
  "base-cnn": {
    ...COMMON,
    optimizer: "adam",
    learningRate: 1e-3,
    batchSize: 32,
    augmentation: STANDARD,
    dropout: 0.5,
    plateau: { factor: 0.5, patience: 3 },
    patience: 5,
    training: SCRATCH,
  },
  resnet18: {
    ...COMMON,
    optimizer: "adam",
    learningRate: 1e-3,
    batchSize: 32,
    augmentation: STRONG,
    dropout: 0.5,
    plateau: { factor: 0.5, patience: 3 },
    patience: 7,
    training: NOT_FROZEN("frozen backbone, dropout head trained"),
  },
  resnet50: {
    ...COMMON,
    optimizer: "adamw",
    learningRate: 3e-4,
    weightDecay: 1e-4,
    batchSize: 16,
    augmentation: STANDARD,
    dropout: 0.5,
    plateau: { factor: 0.2, patience: 3 },
    patience: 7,
    training: NOT_FROZEN("deeper layers (stages 4–5) fine-tuned at lr ≈ 3e-5"),
  },
  "efficientnet-b0": {
    ...COMMON,
    optimizer: "adamw",
    learningRate: 1e-3,
    weightDecay: 1e-2,
    batchSize: 32,
    mixupAlpha: 0.2,
    mixupProb: 1,
    augmentation: STANDARD,
    dropout: 0.2,
    // Keras' EfficientNetB0, which the study fine-tuned, has drop_connect_rate 0.2 built in
    stochasticDepth: 0.2,
    plateau: { factor: 0.5, patience: 2 },
    patience: 7,
    training: NOT_FROZEN("blocks 4–7 fine-tuned, the rest frozen"),
  },
  "mobilenetv3-large": MOBILENETV3_LARGE,
  "mobilenetv3-small": {
    ...MOBILENETV3_LARGE,
    training: "not in the study: the MobileNetV3-Large recipe, trained from scratch",
  },
};
