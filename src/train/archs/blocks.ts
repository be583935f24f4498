import * as tfl from "@tensorflow/tfjs-layers";
import { HardSigmoid, HardSwish, SeededDropout } from "../../inference/head-layers.js";
import { BN_MOMENTUM } from "../models.js";

export type Activation = "relu" | "hswish" | "swish" | "linear";
type T = tfl.SymbolicTensor;

/**
 * Channels × width multiplier, rounded to a multiple of `divisor` (never down by more than 10 %) — the
 * rounding of the MobileNet/EfficientNet reference code, used here for every family so that tiny smoke
 * widths stay valid.
 */
export function scaleChannels(channels: number, width: number, divisor = 8): number {
  const v = channels * width;
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/** Blocks a stage keeps under the depth multiplier: ceil(repeats · depth), at least 1. */
export function scaleRepeats(repeats: number, depth = 1): number {
  return Math.max(1, Math.ceil(repeats * depth));
}

/** The model input: one log-mel patch (see PATCH_SHAPE). */
export function patchInput(shape: [number, number, number]): T {
  return tfl.input({ shape, name: "logmel_patch" });
}

export interface ConvSpec {
  filters: number;
  kernel: number;
  strides?: number;
  /** false when a batch norm follows (it has its own shift) */
  bias?: boolean;
}

/**
 * The layers the families are made of, each with a unique name and its own seed (drawn in build order, so a
 * given seed always builds the same weights).
 */
export class LayerKit {
  private nextSeed: number;
  constructor(seed: number) {
    this.nextSeed = seed;
  }

  seed(): number {
    return this.nextSeed++;
  }

  conv(x: T, s: ConvSpec, name: string): T {
    return tfl.layers
      .conv2d({
        filters: s.filters,
        kernelSize: s.kernel,
        strides: s.strides ?? 1,
        padding: "same",
        useBias: s.bias ?? false,
        kernelInitializer: tfl.initializers.heNormal({ seed: this.seed() }),
        name,
      })
      .apply(x) as T;
  }

  depthwise(x: T, kernel: number, strides: number, name: string): T {
    return tfl.layers
      .depthwiseConv2d({
        kernelSize: kernel,
        strides,
        padding: "same",
        useBias: false,
        depthwiseInitializer: tfl.initializers.heNormal({ seed: this.seed() }),
        name,
      })
      .apply(x) as T;
  }

  bn(x: T, name: string): T {
    return tfl.layers.batchNormalization({ momentum: BN_MOMENTUM, name }).apply(x) as T;
  }

  act(x: T, kind: Activation, name: string): T {
    if (kind === "linear") return x;
    if (kind === "hswish") return new HardSwish({ name }).apply(x) as T;
    return tfl.layers.activation({ activation: kind, name }).apply(x) as T;
  }

  /** conv → batch norm → activation */
  convBnAct(x: T, s: ConvSpec, kind: Activation, name: string): T {
    return this.act(this.bn(this.conv(x, s, `${name}_conv`), `${name}_bn`), kind, `${name}_${kind}`);
  }

  /** The stride-2 stem of ResNet, EfficientNet and MobileNetV3: k×k/2 conv → batch norm → activation. */
  stem(input: T, filters: number, kernel: number, kind: Activation): T {
    return this.convBnAct(input, { filters, kernel, strides: 2 }, kind, "stem");
  }

  dense(
    x: T,
    units: number,
    name: string,
    activation: "relu" | "swish" | "linear" = "linear",
    bias = true,
  ): T {
    return tfl.layers
      .dense({
        units,
        activation,
        useBias: bias,
        kernelInitializer: tfl.initializers.heNormal({ seed: this.seed() }),
        name,
      })
      .apply(x) as T;
  }

  /**
   * Squeeze-and-excitation (Hu et al. 2018): global average pool → Dense(squeeze, act) → Dense(channels) →
   * gate → channel-wise scale. MobileNetV3 gates with hard-sigmoid, EfficientNet with the sigmoid.
   */
  squeezeExcite(x: T, squeeze: number, act: "relu" | "swish", gate: "sigmoid" | "hsigmoid", name: string): T {
    const channels = x.shape[3] as number;
    let s = tfl.layers.globalAveragePooling2d({ name: `${name}_pool` }).apply(x) as T;
    s = this.dense(s, squeeze, `${name}_reduce`, act);
    s = this.dense(s, channels, `${name}_expand`);
    s =
      gate === "hsigmoid"
        ? (new HardSigmoid({ name: `${name}_gate` }).apply(s) as T)
        : (tfl.layers.activation({ activation: "sigmoid", name: `${name}_gate` }).apply(s) as T);
    s = tfl.layers.reshape({ targetShape: [1, 1, channels], name: `${name}_reshape` }).apply(s) as T;
    return tfl.layers.multiply({ name: `${name}_scale` }).apply([x, s]) as T;
  }

  add(a: T, b: T, name: string): T {
    return tfl.layers.add({ name }).apply([a, b]) as T;
  }

  maxPool(x: T, pool: number, strides: number, name: string): T {
    return tfl.layers.maxPooling2d({ poolSize: pool, strides, padding: "same", name }).apply(x) as T;
  }

  globalPool(x: T, name: string): T {
    return tfl.layers.globalAveragePooling2d({ name }).apply(x) as T;
  }

  /** A fresh mask at every training call, reproducible from the build's seed (see SeededDropout). */
  dropout(x: T, rate: number, name: string): T {
    if (rate <= 0) return x;
    return new SeededDropout({ rate, seed: this.seed(), name }).apply(x) as T;
  }

  /**
   * Stochastic depth (Huang et al. 2016; EfficientNet's "drop connect"): in training, drops a residual
   * branch for whole samples with probability `rate` and scales the kept ones by 1/(1 − rate) — Keras'
   * EfficientNet does it with a Dropout of noise shape (batch, 1, 1, 1); here a SeededDropout of that shape.
   */
  dropPath(x: T, rate: number, name: string): T {
    if (rate <= 0) return x;
    return new SeededDropout({ rate, seed: this.seed(), noiseShape: [null, 1, 1, 1], name }).apply(x) as T;
  }
}
