import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

export interface EarlyStoppingOptions {
  /** epochs without improvement of the monitored loss before training stops */
  patience: number;
  /** ReduceLROnPlateau: epochs without improvement before the learning rate is multiplied by `factor` */
  plateauPatience: number;
  factor: number;
  minLearningRate: number;
}

/**
 * Early stopping with ReduceLROnPlateau on a monitored validation loss, keeping a copy of the best epoch's
 * weights (both trainers: the YAMNet heads' and the patch archs').
 */
export class EarlyStopping {
  bestEpoch = -1;
  private best = Number.POSITIVE_INFINITY;
  private bestWeights: tf.Tensor[] | null = null;
  private sinceBest = 0;
  private sincePlateau = 0;

  constructor(private readonly o: EarlyStoppingOptions) {}

  /** After `epoch` with loss `monitor` at learning rate `lr`: the learning rate to go on with, and whether to stop. */
  update(epoch: number, monitor: number, model: tfl.LayersModel, lr: number): { lr: number; stop: boolean } {
    if (monitor < this.best - 1e-4) {
      this.best = monitor;
      this.bestEpoch = epoch;
      this.sinceBest = 0;
      this.sincePlateau = 0;
      if (this.bestWeights) tf.dispose(this.bestWeights);
      this.bestWeights = model.getWeights().map((w) => w.clone());
      return { lr, stop: false };
    }
    this.sinceBest++;
    this.sincePlateau++;
    let next = lr;
    if (this.sincePlateau >= this.o.plateauPatience && lr > this.o.minLearningRate) {
      next = Math.max(this.o.minLearningRate, lr * this.o.factor);
      this.sincePlateau = 0;
    }
    return { lr: next, stop: this.sinceBest >= this.o.patience };
  }

  /** Puts the best epoch's weights back into `model` (when there was one) and frees the copy. */
  restore(model: tfl.LayersModel): void {
    if (!this.bestWeights) return;
    model.setWeights(this.bestWeights);
    tf.dispose(this.bestWeights);
    this.bestWeights = null;
  }
}
