import type * as tfl from "@tensorflow/tfjs-layers";
import { withOutputs } from "../models.js";
import { LayerKit, patchInput, scaleChannels, scaleRepeats } from "./blocks.js";
import type { ArchBuildOptions } from "./types.js";

type T = tfl.SymbolicTensor;

/** Blocks per stage (He et al. 2015, Table 1); both have stage widths 64, 128, 256, 512. */
const STAGE_BLOCKS = { resnet18: [2, 2, 2, 2], resnet50: [3, 4, 6, 3] } as const;
const STAGE_WIDTHS = [64, 128, 256, 512];
const BOTTLENECK_EXPANSION = 4;
export type ResNetDepth = keyof typeof STAGE_BLOCKS;

/** The shortcut: identity, or a strided 1×1 projection + batch norm when the shape changes (option B). */
function shortcut(kit: LayerKit, x: T, filters: number, strides: number, name: string): T {
  if (strides === 1 && x.shape[3] === filters) return x;
  return kit.bn(kit.conv(x, { filters, kernel: 1, strides }, `${name}_proj`), `${name}_proj_bn`);
}

/** ResNet-18/34 basic block: 3×3 → BN → ReLU → 3×3 → BN, + shortcut, ReLU. */
function basicBlock(kit: LayerKit, x: T, filters: number, strides: number, name: string): T {
  let y = kit.convBnAct(x, { filters, kernel: 3, strides }, "relu", `${name}_a`);
  y = kit.bn(kit.conv(y, { filters, kernel: 3 }, `${name}_b_conv`), `${name}_b_bn`);
  y = kit.add(y, shortcut(kit, x, filters, strides, name), `${name}_add`);
  return kit.act(y, "relu", `${name}_out`);
}

/**
 * ResNet-50 bottleneck block: 1×1 → 3×3 → 1×1 (×4 channels), + shortcut, ReLU. The stride sits on the 3×3
 * (the "v1.5" of torchvision and of the 4.1 G multiply-add figure; He et al.'s v1 strides the first 1×1).
 */
function bottleneck(kit: LayerKit, x: T, filters: number, strides: number, name: string): T {
  const out = filters * BOTTLENECK_EXPANSION;
  let y = kit.convBnAct(x, { filters, kernel: 1 }, "relu", `${name}_a`);
  y = kit.convBnAct(y, { filters, kernel: 3, strides }, "relu", `${name}_b`);
  y = kit.bn(kit.conv(y, { filters: out, kernel: 1 }, `${name}_c_conv`), `${name}_c_bn`);
  y = kit.add(y, shortcut(kit, x, out, strides, name), `${name}_add`);
  return kit.act(y, "relu", `${name}_out`);
}

/**
 * ResNet-18 / ResNet-50 (He et al. 2015): 7×7/2 stem conv → BN → ReLU → 3×3/2 max-pool, four stages (the
 * first block of stages 2–4 strides by 2), global average pool, dropout (the study's dropout head), outputs.
 */
export function buildResNet(kind: ResNetDepth, o: ArchBuildOptions): tfl.LayersModel {
  const kit = new LayerKit(o.seed);
  const input = patchInput(o.inputShape);
  let x = kit.stem(input, scaleChannels(64, o.width), 7, "relu");
  x = kit.maxPool(x, 3, 2, "stem_pool");
  const block = kind === "resnet18" ? basicBlock : bottleneck;
  STAGE_BLOCKS[kind].forEach((blocks, stage) => {
    const filters = scaleChannels(STAGE_WIDTHS[stage], o.width);
    for (let b = 0; b < scaleRepeats(blocks, o.depth); b++) {
      const strides = stage > 0 && b === 0 ? 2 : 1;
      x = block(kit, x, filters, strides, `stage${stage + 1}_block${b + 1}`);
    }
  });
  x = kit.globalPool(x, "pool");
  x = kit.dropout(x, o.dropout, "dropout");
  return withOutputs(input, x, kit.seed(), kind);
}
