import type * as tfl from "@tensorflow/tfjs-layers";
import { withOutputs } from "../models.js";
import { LayerKit, patchInput, scaleChannels, scaleRepeats } from "./blocks.js";
import type { ArchBuildOptions } from "./types.js";

type T = tfl.SymbolicTensor;

interface MbStage {
  expand: number;
  kernel: number;
  strides: number;
  out: number;
  repeats: number;
}

/** EfficientNet-B0 (Tan & Le 2019, Table 1): stages 2–8, MBConv expansion, kernel, stride, channels, layers. */
const B0_STAGES: MbStage[] = [
  { expand: 1, kernel: 3, strides: 1, out: 16, repeats: 1 },
  { expand: 6, kernel: 3, strides: 2, out: 24, repeats: 2 },
  { expand: 6, kernel: 5, strides: 2, out: 40, repeats: 2 },
  { expand: 6, kernel: 3, strides: 2, out: 80, repeats: 3 },
  { expand: 6, kernel: 5, strides: 1, out: 112, repeats: 3 },
  { expand: 6, kernel: 5, strides: 2, out: 192, repeats: 4 },
  { expand: 6, kernel: 3, strides: 1, out: 320, repeats: 1 },
];
const STEM = 32;
const HEAD = 1280;
/** squeeze-and-excite reduces to 1/4 of the block's *input* channels (the reference code), not the expanded */
const SE_RATIO = 0.25;

/**
 * MBConv: [1×1 expand → BN → swish] → depthwise k×k → BN → swish → SE (swish, sigmoid) → 1×1 project → BN,
 * identity shortcut when shape is kept, its branch under stochastic depth at `dropRate`.
 */
function mbConv(
  kit: LayerKit,
  x: T,
  s: MbStage,
  out: number,
  strides: number,
  dropRate: number,
  name: string,
): T {
  const inChannels = x.shape[3] as number;
  let y = x;
  if (s.expand !== 1) {
    y = kit.convBnAct(y, { filters: inChannels * s.expand, kernel: 1 }, "swish", `${name}_expand`);
  }
  y = kit.act(
    kit.bn(kit.depthwise(y, s.kernel, strides, `${name}_dw`), `${name}_dw_bn`),
    "swish",
    `${name}_dw_swish`,
  );
  y = kit.squeezeExcite(y, Math.max(1, Math.floor(inChannels * SE_RATIO)), "swish", "sigmoid", `${name}_se`);
  y = kit.bn(kit.conv(y, { filters: out, kernel: 1 }, `${name}_project`), `${name}_project_bn`);
  if (strides === 1 && inChannels === out) {
    y = kit.add(x, kit.dropPath(y, dropRate, `${name}_drop`), `${name}_add`);
  }
  return y;
}

/**
 * EfficientNet-B0: 3×3/2 stem, seven MBConv stages, 1×1 conv to 1280, global pool, dropout, outputs.
 * Block i of N drops its residual branch at `o.stochasticDepth` · i / N (Keras; the paper's rate is 0.2).
 */
export function buildEfficientNetB0(o: ArchBuildOptions): tfl.LayersModel {
  const kit = new LayerKit(o.seed);
  const input = patchInput(o.inputShape);
  let x = kit.stem(input, scaleChannels(STEM, o.width), 3, "swish");
  const total = B0_STAGES.reduce((n, s) => n + scaleRepeats(s.repeats, o.depth), 0);
  let index = 0;
  B0_STAGES.forEach((s, stage) => {
    const out = scaleChannels(s.out, o.width);
    for (let b = 0; b < scaleRepeats(s.repeats, o.depth); b++) {
      const dropRate = ((o.stochasticDepth ?? 0) * index++) / total;
      x = mbConv(kit, x, s, out, b === 0 ? s.strides : 1, dropRate, `stage${stage + 2}_block${b + 1}`);
    }
  });
  x = kit.convBnAct(x, { filters: scaleChannels(HEAD, o.width), kernel: 1 }, "swish", "top");
  x = kit.globalPool(x, "pool");
  x = kit.dropout(x, o.dropout, "dropout");
  return withOutputs(input, x, kit.seed(), "efficientnet-b0");
}
