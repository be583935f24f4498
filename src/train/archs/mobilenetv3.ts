import type * as tfl from "@tensorflow/tfjs-layers";
import { withOutputs } from "../models.js";
import { type Activation, LayerKit, patchInput, scaleChannels, scaleRepeats } from "./blocks.js";
import type { ArchBuildOptions } from "./types.js";

type T = tfl.SymbolicTensor;

/** One bneck row of the paper's tables: kernel, expansion size, out channels, SE, non-linearity, stride. */
type Bneck = [kernel: number, expanded: number, out: number, se: boolean, act: "RE" | "HS", strides: number];

/** Howard et al. 2019, Table 1 (MobileNetV3-Large): 15 bnecks, 960 channels, 1280-unit last layer. */
const LARGE: Bneck[] = [
  [3, 16, 16, false, "RE", 1],
  [3, 64, 24, false, "RE", 2],
  [3, 72, 24, false, "RE", 1],
  [5, 72, 40, true, "RE", 2],
  [5, 120, 40, true, "RE", 1],
  [5, 120, 40, true, "RE", 1],
  [3, 240, 80, false, "HS", 2],
  [3, 200, 80, false, "HS", 1],
  [3, 184, 80, false, "HS", 1],
  [3, 184, 80, false, "HS", 1],
  [3, 480, 112, true, "HS", 1],
  [3, 672, 112, true, "HS", 1],
  [5, 672, 160, true, "HS", 2],
  [5, 960, 160, true, "HS", 1],
  [5, 960, 160, true, "HS", 1],
];

/** Howard et al. 2019, Table 2 (MobileNetV3-Small): 11 bnecks, 576 channels, 1024-unit last layer. */
const SMALL: Bneck[] = [
  [3, 16, 16, true, "RE", 2],
  [3, 72, 24, false, "RE", 2],
  [3, 88, 24, false, "RE", 1],
  [5, 96, 40, true, "HS", 2],
  [5, 240, 40, true, "HS", 1],
  [5, 240, 40, true, "HS", 1],
  [5, 120, 48, true, "HS", 1],
  [5, 144, 48, true, "HS", 1],
  [5, 288, 96, true, "HS", 2],
  [5, 576, 96, true, "HS", 1],
  [5, 576, 96, true, "HS", 1],
];

const VARIANTS = {
  large: { table: LARGE, lastConv: 960, lastDense: 1280 },
  small: { table: SMALL, lastConv: 576, lastDense: 1024 },
} as const;
export type MobileNetV3Size = keyof typeof VARIANTS;

/**
 * The rows kept under the depth multiplier: the table split into stages at each stride-2 row, each stage
 * keeping its first ceil(rows · depth) rows (so every stride, and so the output map size, is kept).
 */
function keptRows(table: Bneck[], depth = 1): Bneck[] {
  const stages: Bneck[][] = [];
  for (const row of table) {
    if (stages.length === 0 || row[5] === 2) stages.push([]);
    stages[stages.length - 1].push(row);
  }
  return stages.flatMap((rows) => rows.slice(0, scaleRepeats(rows.length, depth)));
}

/**
 * bneck: [1×1 expand → BN → act] (skipped when the expansion equals the input) → depthwise k×k → BN → act →
 * [SE: ReLU squeeze to expanded/4, hard-sigmoid gate] → 1×1 project → BN, identity shortcut when shape is kept.
 */
function bneck(kit: LayerKit, x: T, row: Bneck, width: number, name: string): T {
  const [kernel, expandedRaw, outRaw, se, nl, strides] = row;
  const act: Activation = nl === "RE" ? "relu" : "hswish";
  const inChannels = x.shape[3] as number;
  const expanded = scaleChannels(expandedRaw, width);
  const out = scaleChannels(outRaw, width);
  let y = x;
  if (expanded !== inChannels) y = kit.convBnAct(y, { filters: expanded, kernel: 1 }, act, `${name}_expand`);
  y = kit.act(
    kit.bn(kit.depthwise(y, kernel, strides, `${name}_dw`), `${name}_dw_bn`),
    act,
    `${name}_dw_${act}`,
  );
  if (se) y = kit.squeezeExcite(y, scaleChannels(expanded / 4, 1), "relu", "hsigmoid", `${name}_se`);
  y = kit.bn(kit.conv(y, { filters: out, kernel: 1 }, `${name}_project`), `${name}_project_bn`);
  if (strides === 1 && inChannels === out) y = kit.add(x, y, `${name}_add`);
  return y;
}

/**
 * MobileNetV3-Large / -Small (Howard et al. 2019): 3×3/2 stem (16, hard-swish), the table's bnecks, 1×1 conv
 * (BN, hard-swish), global pool, the 1×1 last layer without BN (a Dense on the pooled vector, hard-swish),
 * dropout, outputs.
 */
export function buildMobileNetV3(size: MobileNetV3Size, o: ArchBuildOptions): tfl.LayersModel {
  const v = VARIANTS[size];
  const kit = new LayerKit(o.seed);
  const input = patchInput(o.inputShape);
  let x = kit.stem(input, scaleChannels(16, o.width), 3, "hswish");
  keptRows(v.table, o.depth).forEach((row, i) => {
    x = bneck(kit, x, row, o.width, `bneck${i + 1}`);
  });
  x = kit.convBnAct(x, { filters: scaleChannels(v.lastConv, o.width), kernel: 1 }, "hswish", "last_conv");
  x = kit.globalPool(x, "pool");
  x = kit.act(kit.dense(x, scaleChannels(v.lastDense, o.width), "last_dense"), "hswish", "last_dense_hswish");
  x = kit.dropout(x, o.dropout, "dropout");
  return withOutputs(input, x, kit.seed(), `mobilenetv3-${size}`);
}
