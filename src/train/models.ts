import * as tfl from "@tensorflow/tfjs-layers";
import { REASONS } from "../events.js";
import { DepthwiseTaps, HardSigmoid, HardSwish, Log1p, SeededDropout } from "../inference/head-layers.js";

/**
 * Both heads have the same two outputs: `cry` (one logit, cry vs. not) and `reason` (five logits over
 * REASONS). The reason output is trained on cry patches only.
 */
export type HeadKind = "fc" | "mnv3";

/**
 * Batch-norm moving-average momentum. Keras' 0.99 needs hundreds of steps to forget its initial (0, 1)
 * statistics; an epoch here is 10–40 steps, and YAMNet's feature maps are far from (0, 1).
 */
export const BN_MOMENTUM = 0.9;

export interface FcHeadOptions {
  inputDim: number;
  hidden: number;
  dropout: number;
  seed: number;
}

/** YAMNet embedding → Dense → BatchNorm → ReLU → Dropout → {Dense(1) cry, Dense(5) reason}. */
export function buildFcHead(o: FcHeadOptions): tfl.LayersModel {
  const input = tfl.input({ shape: [o.inputDim], name: "embedding" });
  let x = tfl.layers
    .dense({
      units: o.hidden,
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: o.seed }),
      name: "fc_dense",
    })
    .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "fc_bn", momentum: BN_MOMENTUM }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: "relu", name: "fc_relu" }).apply(x) as tfl.SymbolicTensor;
  x = new SeededDropout({ rate: o.dropout, seed: o.seed, name: "fc_dropout" }).apply(x) as tfl.SymbolicTensor;
  return withOutputs(input, x, o.seed, "fc");
}

export interface Mnv3HeadOptions {
  /** Shape of the YAMNet feature map the head reads, [h, w, c]. */
  inputShape: [number, number, number];
  /** Channels after the 1×1 stem (the narrow width of the inverted residuals). */
  width: number;
  expansion: number;
  dropout: number;
  seed: number;
}

/**
 * A small MobileNetV3-style network on a frozen YAMNet feature map: 1×1 stem (hard-swish), an inverted
 * residual block (expand 1×1 → depthwise 3×3 → squeeze-and-excite → project 1×1, identity shortcut),
 * a stride-2 inverted residual block, a 1×1 hard-swish layer, global average pool, dropout, outputs.
 * 1×1 convolutions are Dense layers on the channel axis (identical maths, and their gradients are plain
 * matrix products that every backend has).
 */
export function buildMnv3Head(o: Mnv3HeadOptions): tfl.LayersModel {
  let seed = o.seed;
  const init = () => tfl.initializers.heNormal({ seed: seed++ });
  const input = tfl.input({ shape: o.inputShape, name: "feature_map" });
  const pointwise = (x: tfl.SymbolicTensor, units: number, name: string, bias = false) =>
    tfl.layers
      .dense({ units, useBias: bias, kernelInitializer: init(), name })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, name: string) =>
    tfl.layers.batchNormalization({ name, momentum: BN_MOMENTUM }).apply(x) as tfl.SymbolicTensor;
  const hswish = (x: tfl.SymbolicTensor, name: string) =>
    new HardSwish({ name }).apply(x) as tfl.SymbolicTensor;

  const squeezeExcite = (x: tfl.SymbolicTensor, channels: number, name: string) => {
    let s = tfl.layers.globalAveragePooling2d({ name: `${name}_pool` }).apply(x) as tfl.SymbolicTensor;
    s = tfl.layers
      .dense({
        units: Math.max(8, channels / 4),
        activation: "relu",
        kernelInitializer: init(),
        name: `${name}_reduce`,
      })
      .apply(s) as tfl.SymbolicTensor;
    s = tfl.layers
      .dense({ units: channels, kernelInitializer: init(), name: `${name}_expand` })
      .apply(s) as tfl.SymbolicTensor;
    s = new HardSigmoid({ name: `${name}_gate` }).apply(s) as tfl.SymbolicTensor;
    s = tfl.layers
      .reshape({ targetShape: [1, 1, channels], name: `${name}_reshape` })
      .apply(s) as tfl.SymbolicTensor;
    return tfl.layers.multiply({ name: `${name}_scale` }).apply([x, s]) as tfl.SymbolicTensor;
  };

  const invertedResidual = (x: tfl.SymbolicTensor, out: number, strides: 1 | 2, name: string) => {
    const inChannels = x.shape[3] as number;
    const expanded = inChannels * o.expansion;
    let y = hswish(bn(pointwise(x, expanded, `${name}_expand`), `${name}_expand_bn`), `${name}_expand_hs`);
    y = new DepthwiseTaps({ kernelSize: 3, strides, name: `${name}_dw`, seed: seed++ }).apply(
      y,
    ) as tfl.SymbolicTensor;
    y = hswish(bn(y, `${name}_dw_bn`), `${name}_dw_hs`);
    y = squeezeExcite(y, expanded, `${name}_se`);
    y = bn(pointwise(y, out, `${name}_project`), `${name}_project_bn`);
    if (strides === 1 && inChannels === out) {
      y = tfl.layers.add({ name: `${name}_add` }).apply([x, y]) as tfl.SymbolicTensor;
    }
    return y;
  };

  const compressed = new Log1p({ name: "log1p" }).apply(input) as tfl.SymbolicTensor;
  let x = hswish(bn(pointwise(compressed, o.width, "stem"), "stem_bn"), "stem_hs");
  x = invertedResidual(x, o.width, 1, "block1");
  x = invertedResidual(x, o.width + o.width / 2, 2, "block2");
  x = hswish(pointwise(x, o.width * 4, "last_conv", true), "last_hs");
  x = tfl.layers.globalAveragePooling2d({ name: "pool" }).apply(x) as tfl.SymbolicTensor;
  x = new SeededDropout({ rate: o.dropout, seed: o.seed, name: "dropout" }).apply(x) as tfl.SymbolicTensor;
  return withOutputs(input, x, seed, "mnv3");
}

/** The two outputs every model of babymon ends in: `cry` (1 logit) and `reason` (REASONS.length logits). */
export function withOutputs(
  input: tfl.SymbolicTensor,
  features: tfl.SymbolicTensor,
  seed: number,
  name: string,
): tfl.LayersModel {
  const cry = tfl.layers
    .dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 101 }), name: "cry" })
    .apply(features) as tfl.SymbolicTensor;
  const reason = tfl.layers
    .dense({
      units: REASONS.length,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 202 }),
      name: "reason",
    })
    .apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [cry, reason], name });
}
