import { ARCH_RECIPES } from "../archs/index.js";
import { DEFAULT_TRAIN_OPTIONS } from "../trainer.js";
import type { CompareArch } from "./types.js";
import { isPatchArch } from "./types.js";

/** An arch's training recipe in one line (comparison.md, the arch's report, the export's manifest). */
export function recipeText(arch: CompareArch): string {
  if (!isPatchArch(arch)) {
    const d = DEFAULT_TRAIN_OPTIONS;
    return `today's head recipe: AdamW lr ${d.learningRate} (weight decay ${d.weightDecay}), batch 128, label smoothing ${d.labelSmoothing}, class weights (cap ${d.maxClassWeight}), mixup ${d.mixupProb} × Beta(${d.mixupAlpha}), dropout ${d.dropout}, LR halved after ${d.plateauPatience} epochs without improvement, early stopping patience ${d.patience}`;
  }
  const r = ARCH_RECIPES[arch];
  const aug = r.augmentation;
  return [
    `${r.optimizer === "adamw" ? `AdamW (weight decay ${r.weightDecay})` : "Adam"} lr ${r.learningRate}`,
    `batch ${r.batchSize}`,
    `label smoothing ${r.labelSmoothing}`,
    r.classWeights ? "class weights" : "no class weights",
    r.mixupProb > 0 ? `mixup ${r.mixupProb} × Beta(${r.mixupAlpha})` : "no mixup",
    aug.masking
      ? `SpecAugment ${aug.masking.timeMasks} time masks ≤ ${aug.masking.maxTimeWidth} frames, ${aug.masking.freqMasks} frequency masks ≤ ${aug.masking.maxFreqWidth} bands`
      : "no masking",
    // every arch trains on the run's one set of augmented copies (made once, after the split, for YAMNet's
    // features too); the recipe's own copy count and wider gain/SNR ranges are not made separately
    `waveform copies: the run's one per training cry clip (±6 dB, shift, household noise at 0–20 dB SNR)${aug.copies !== 1 || aug.policy.snrDb[0] !== 0 ? `, not the recipe's ${aug.copies} with gain ±${aug.policy.gainDb[1]} dB and ${aug.policy.snrDb[0]}–${aug.policy.snrDb[1]} dB SNR` : ""}`,
    `dropout ${r.dropout}`,
    `ReduceLROnPlateau ×${r.plateau.factor} after ${r.plateau.patience}`,
    `early stopping patience ${r.patience}`,
    r.training,
  ].join(", ");
}
