import type * as tfl from "@tensorflow/tfjs-layers";
import { buildBaseCnn } from "./base-cnn.js";
import { buildEfficientNetB0 } from "./efficientnet.js";
import { buildMobileNetV3 } from "./mobilenetv3.js";
import { buildResNet } from "./resnet.js";
import type { ArchBuildOptions, ArchName } from "./types.js";

export { countParams, multiplyAdds } from "./counts.js";
export { ARCH_RECIPES } from "./recipes.js";
export * from "./types.js";

const BUILDERS: Record<ArchName, (o: ArchBuildOptions) => tfl.LayersModel> = {
  "base-cnn": buildBaseCnn,
  resnet18: (o) => buildResNet("resnet18", o),
  resnet50: (o) => buildResNet("resnet50", o),
  "efficientnet-b0": buildEfficientNetB0,
  "mobilenetv3-large": (o) => buildMobileNetV3("large", o),
  "mobilenetv3-small": (o) => buildMobileNetV3("small", o),
};

/**
 * Builds one patch architecture on a log-mel patch input, ending in the `cry` (1 logit) and `reason`
 * (5 logits over REASONS) outputs of every babymon model.
 */
export function buildArch(name: ArchName, options: ArchBuildOptions): tfl.LayersModel {
  if (!(options.width > 0))
    throw new Error(`Expected a width multiplier > 0 for ${name}, got ${options.width}`);
  if (options.depth !== undefined && !(options.depth > 0)) {
    throw new Error(`Expected a depth multiplier > 0 for ${name}, got ${options.depth}`);
  }
  for (const key of ["dropout", "stochasticDepth"] as const) {
    const rate = options[key] ?? 0;
    if (!(rate >= 0 && rate < 1)) throw new Error(`Expected \`${key}\` in [0, 1) for ${name}, got ${rate}`);
  }
  return BUILDERS[name](options);
}
