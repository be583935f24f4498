import type { AugmentationPolicy } from "../augment.js";

/**
 * The patch architectures of the study's comparison, built in TF.js from their papers' blocks. The two
 * YAMNet heads ("yamnet-fc", "yamnet-mnv3") stay in src/train/models.ts.
 */
export const ARCH_NAMES = [
  "base-cnn",
  "resnet18",
  "resnet50",
  "efficientnet-b0",
  "mobilenetv3-large",
  "mobilenetv3-small",
] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

/** How the comparison table names each architecture, with the paper its blocks come from. */
export const ARCH_TITLES: Record<ArchName, string> = {
  "base-cnn": "Base CNN (the study's 3-layer CNN)",
  resnet18: "ResNet-18 (He et al. 2015)",
  resnet50: "ResNet-50 (He et al. 2015)",
  "efficientnet-b0": "EfficientNet-B0 (Tan & Le 2019)",
  "mobilenetv3-large": "MobileNetV3-Large (Howard et al. 2019)",
  "mobilenetv3-small": "MobileNetV3-Small (Howard et al. 2019)",
};

export function isArchName(value: string): value is ArchName {
  return (ARCH_NAMES as readonly string[]).includes(value);
}

/**
 * The input of every patch architecture: YAMNet's own log-mel patch, 96 frames (10 ms hop, 0.96 s) × 64 mel
 * bands × 1 channel — exactly what the daemon already computes for each window (src/dsp/logmel.ts), so an
 * exported model needs no second frontend. The study resized spectrogram images to 128×128 / 224×224×3;
 * upsampling adds no information (it interpolates the same 96×64 values) and costs ~8× the compute, and
 * three identical channels only triple the stem's weights. 96 and 64 are multiples of 32, so the five
 * stride-2 stages of ResNet/EfficientNet/MobileNetV3 end on a whole 3×2 map.
 */
export const PATCH_SHAPE: [number, number, number] = [96, 64, 1];

export interface ArchBuildOptions {
  /**
   * [frames, mels, 1]: PATCH_SHAPE in training and in the daemon. (The tests also build [224, 224, 3] to
   * check parameters and multiply-adds against the papers' own figures.)
   */
  inputShape: [number, number, number];
  /** channel multiplier; 1 = the paper's widths (channels rounded to multiples of 8, at least 8) */
  width: number;
  /** block-repeat multiplier (each stage keeps ceil(repeats · depth) ≥ 1 blocks); 1 = the paper, small for smoke runs */
  depth?: number;
  /** dropout rate before the outputs (the papers: 0.2 for EfficientNet/MobileNetV3) */
  dropout: number;
  /** seed of every initializer (dropout masks are not seeded: see LayerKit.dropout) */
  seed: number;
  /** stochastic depth: block i of N drops its residual branch at stochasticDepth · i / N (EfficientNet only; 0 or absent = off) */
  stochasticDepth?: number;
}

/**
 * Width and depth multipliers of smoke runs and tests: 1/8 of the channels (at least 8), one block per stage —
 * every block type and stride of the family is still built, at a few percent of the compute.
 */
export const SMOKE_SCALE = { width: 0.125, depth: 0.01 } as const;

/**
 * SpecAugment-style masks on the log-mel patch (Park et al. 2019), the audio counterpart of the study's
 * "strong augmentation" of spectrogram images (random crops/erasing). Applied to training patches only,
 * after the split, on top of the waveform augmentation of src/train/augment.ts.
 */
export interface PatchMasking {
  timeMasks: number;
  /** widest time mask, frames */
  maxTimeWidth: number;
  freqMasks: number;
  /** widest frequency mask, mel bands */
  maxFreqWidth: number;
}

export interface ArchAugmentation {
  /** augmented waveform copies per training clip (0 = none) */
  copies: number;
  policy: AugmentationPolicy;
  /** null: no masking */
  masking: PatchMasking | null;
}

/**
 * The study's training recipe for one architecture (fields named as src/train/trainer.ts's TrainOptions
 * where they mean the same).
 */
export interface ArchRecipe {
  optimizer: "adam" | "adamw";
  learningRate: number;
  minLearningRate: number;
  /** decoupled weight decay for AdamW; L2-free Adam when 0 */
  weightDecay: number;
  batchSize: number;
  maxEpochs: number;
  labelSmoothing: number;
  /** balanced reason class weights (capped like the heads' maxClassWeight) */
  classWeights: boolean;
  /** mixup Beta(α, α); mixupProb 0 = no mixup */
  mixupAlpha: number;
  mixupProb: number;
  augmentation: ArchAugmentation;
  dropout: number;
  /** ArchBuildOptions.stochasticDepth (absent = off) */
  stochasticDepth?: number;
  /** ReduceLROnPlateau: multiply the learning rate by `factor` after `patience` epochs without improvement */
  plateau: { factor: number; patience: number };
  /** early stopping patience, epochs */
  patience: number;
  /**
   * What the study froze or fine-tuned, and what that becomes here: no ImageNet weights can be fetched, so
   * every layer is trained from scratch and nothing is frozen (a frozen random backbone would be a random
   * feature extractor, not the study's transfer learning). Kept as text for the comparison table.
   */
  training: string;
}
