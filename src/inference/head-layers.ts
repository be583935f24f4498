import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { mulberry32 } from "../train/random.js";

/**
 * Custom layers of the MobileNetV3 head. They use only element-wise ops, slices and pads, whose
 * gradients every TF.js backend has (the wasm backend has no depthwise-conv gradient kernels), so the
 * same code trains and runs on wasm, cpu and node. Both the trainer and the daemon's loader import this
 * module, which registers the classes for (de)serialisation.
 */

/** hard-swish(x) = x · relu6(x + 3) / 6 (MobileNetV3). */
export class HardSwish extends tfl.layers.Layer {
  static readonly className = "BabymonHardSwish";
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    });
  }
}

/** hard-sigmoid(x) = relu6(x + 3) / 6 (MobileNetV3's, not Keras' 0.2·x + 0.5). */
export class HardSigmoid extends tfl.layers.Layer {
  static readonly className = "BabymonHardSigmoid";
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.div(tf.relu6(tf.add(x, 3)), 6);
    });
  }
}

/** log(1 + x): compresses YAMNet's non-negative (ReLU) feature maps, whose values reach ~40, before the stem. */
export class Log1p extends tfl.layers.Layer {
  static readonly className = "BabymonLog1p";
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.log1p(tf.relu(Array.isArray(inputs) ? inputs[0] : inputs)));
  }
}

/**
 * Dropout with a fresh mask at every call, drawn from `rand` (a seeded generator), so training is reproducible.
 * (`tf.dropout` with one fixed seed draws the same mask at every call: a fixed thinning, not dropout; without a
 * seed it draws from Math.random, and no two runs agree.) `noiseShape`: null for the input's size on that axis.
 */
export function seededDropout<T extends tf.Tensor>(
  x: T,
  rate: number,
  rand: () => number,
  noiseShape?: ReadonlyArray<number | null>,
): T {
  if (rate <= 0) return x;
  const shape = noiseShape?.map((d, i) => d ?? x.shape[i]);
  return tf.dropout(x, rate, shape, Math.floor(rand() * 0x7fffffff)) as T;
}

export interface SeededDropoutConfig {
  rate: number;
  seed: number;
  /** the mask's shape, null for the input's size on that axis (e.g. [null, 1, 1, 1]: whole samples) */
  noiseShape?: Array<number | null>;
  name?: string;
}

/**
 * seededDropout as a layer, from a generator seeded once (tfjs-layers' own Dropout with a seed builds a new generator
 * from it at every call, so it drops the same units at every step). The identity at inference.
 */
export class SeededDropout extends tfl.layers.Layer {
  static readonly className = "BabymonSeededDropout";
  readonly rate: number;
  readonly seed: number;
  readonly noiseShape: Array<number | null> | undefined;
  private readonly rand: () => number;

  constructor(config: SeededDropoutConfig) {
    super({ name: config.name });
    if (!(config.rate >= 0 && config.rate < 1))
      throw new RangeError(`Expected the dropout \`rate\` to be in [0, 1), got ${config.rate}`);
    this.rate = config.rate;
    this.seed = config.seed;
    this.noiseShape = config.noiseShape;
    this.rand = mulberry32(config.seed);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return kwargs.training === true ? seededDropout(x, this.rate, this.rand, this.noiseShape) : x;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      rate: this.rate,
      seed: this.seed,
      ...(this.noiseShape ? { noiseShape: this.noiseShape } : {}),
    };
  }
}

export interface DepthwiseTapsConfig {
  kernelSize: number;
  strides: 1 | 2;
  name?: string;
  /** seed of the kernel initializer (reproducible training) */
  seed?: number;
}

/**
 * Depthwise k×k convolution, SAME padding, stride 1 or 2, no bias (a batch norm follows), written as a
 * sum of k² shifted, per-channel-scaled copies of the input. On the small maps of YAMNet's trunk (6×4)
 * this is as fast as a depthwise kernel, and it back-propagates on every backend.
 */
export class DepthwiseTaps extends tfl.layers.Layer {
  static readonly className = "BabymonDepthwiseTaps";
  readonly kernelSize: number;
  readonly strides: 1 | 2;
  readonly seed: number | undefined;
  private kernel: tfl.LayerVariable | null = null;

  constructor(config: DepthwiseTapsConfig) {
    super({ name: config.name });
    if (config.kernelSize % 2 !== 1) {
      throw new Error(`Expected \`kernelSize\` to be odd, got ${config.kernelSize}`);
    }
    this.kernelSize = config.kernelSize;
    this.strides = config.strides;
    this.seed = config.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[3] as number;
    this.kernel = this.addWeight(
      "depthwise_kernel",
      [this.kernelSize, this.kernelSize, channels],
      "float32",
      tfl.initializers.varianceScaling({
        scale: 2,
        mode: "fanIn",
        distribution: "truncatedNormal",
        seed: this.seed,
      }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (this.strides === 1) return s;
    return [s[0], Math.ceil((s[1] as number) / 2), Math.ceil((s[2] as number) / 2), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      const k = this.kernelSize;
      const p = (k - 1) / 2;
      const padded = tf.pad(x, [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]);
      const kernel = this.kernel!.read();
      const taps: tf.Tensor[] = [];
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const tap = tf.reshape(tf.slice(kernel, [i, j, 0], [1, 1, c]), [c]);
          taps.push(tf.mul(tf.slice(padded, [0, i, j, 0], [b, h, w, c]), tap));
        }
      }
      const full = tf.addN(taps) as tf.Tensor4D;
      if (this.strides === 1) return full;
      // stride 2 as in TF's SAME padding: outputs centred on odd rows/columns (pad bottom/right on even sizes)
      const hp = h % 2 === 0 ? h : h + 1;
      const wp = w % 2 === 0 ? w : w + 1;
      const evenSized = tf.pad(full, [
        [0, 0],
        [0, hp - h],
        [0, wp - w],
        [0, 0],
      ]);
      const grid = tf.reshape(evenSized, [b, hp / 2, 2, wp / 2, 2, c]);
      const offset = h % 2 === 0 ? 1 : 0;
      const picked = tf.slice(grid, [0, 0, offset, 0, offset, 0], [b, hp / 2, 1, wp / 2, 1, c]);
      return tf.reshape(picked, [b, hp / 2, wp / 2, c]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides };
  }
}

tf.serialization.registerClass(HardSwish);
tf.serialization.registerClass(HardSigmoid);
tf.serialization.registerClass(Log1p);
tf.serialization.registerClass(DepthwiseTaps);
tf.serialization.registerClass(SeededDropout);
