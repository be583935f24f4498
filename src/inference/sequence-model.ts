import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { loadLayersModelFromDir, YAMNET_CLASS_COUNT } from "./heads.js";
import { HeadsModelError } from "./heads-error.js";

/**
 * The detector's temporal model (`detector.source: "sequence"`): a TF.js layers model reading, per window, the
 * YAMNet class logits (full band, raw: embedding · kernel + bias before the sigmoid, as the training computes them
 * from the cached embeddings) of the last `windows` windows of the stream, oldest first, and giving one cry logit. The history is the model's state per stream: `reset()` on a new stream or a capture restart; at the start
 * of a stream the first window is repeated to fill it.
 */
export class SequenceModel {
  /** ring of the last `windows` windows' logits (row `next` is the oldest once full) */
  private readonly ring: Float32Array;
  private next = 0;
  private filled = 0;

  private constructor(
    private readonly model: tfl.LayersModel,
    readonly windows: number,
  ) {
    this.ring = new Float32Array(windows * YAMNET_CLASS_COUNT);
  }

  /** Loads <headsDir>/<dir> and checks its input is [batch, windows, 521] and its output [batch, 1]. */
  static async load(headsDir: string, dir: string, windows: number): Promise<SequenceModel> {
    const folder = join(headsDir, dir);
    let model: tfl.LayersModel;
    try {
      model = await loadLayersModelFromDir(folder);
    } catch (err) {
      throw new HeadsModelError(headsDir, `detector.sequence.dir ${folder}: ${(err as Error).message}`);
    }
    const input = model.inputs[0]?.shape ?? [];
    const output = model.outputs[0]?.shape ?? [];
    if (model.inputs.length !== 1 || input[1] !== windows || input[2] !== YAMNET_CLASS_COUNT) {
      model.dispose();
      throw new HeadsModelError(
        headsDir,
        `detector.sequence: expected the model in ${folder} to take [batch, ${windows}, ${YAMNET_CLASS_COUNT}] (detector.sequence.windows = ${windows}), got [${input.join(", ")}]`,
      );
    }
    if (model.outputs.length !== 1 || output.length !== 2 || output[1] !== 1) {
      model.dispose();
      throw new HeadsModelError(
        headsDir,
        `detector.sequence: expected the model in ${folder} to give [batch, 1] (a cry logit), got [${output.join(", ")}]`,
      );
    }
    return new SequenceModel(model, windows);
  }

  /** Forgets the stream's history (new stream, capture restart). */
  reset(): void {
    this.next = 0;
    this.filled = 0;
  }

  /** Appends one window's 521 YAMNet class logits to the history. */
  private push(logits: Float32Array): void {
    const c = YAMNET_CLASS_COUNT;
    if (logits.length !== c)
      throw new RangeError(`Expected ${c} YAMNet class logits per window, got ${logits.length}`);
    this.ring.set(logits, this.next * c);
    if (this.filled === 0) {
      // first window of the stream: it fills the whole history
      const first = this.ring.subarray(0, c).slice();
      for (let t = 0; t < this.windows; t++) this.ring.set(first, t * c);
      this.next = 1 % this.windows;
      this.filled = this.windows;
      return;
    }
    this.next = (this.next + 1) % this.windows;
  }

  /** Copies the history, oldest first, into `out` at `offset`. */
  private historyInto(out: Float32Array, offset: number): void {
    const c = YAMNET_CLASS_COUNT;
    for (let t = 0; t < this.windows; t++) {
      const row = (this.next + t) % this.windows;
      out.set(this.ring.subarray(row * c, (row + 1) * c), offset + t * c);
    }
  }

  /** The cry logit of each window (given its YAMNet class logits), in stream order; each joins the history first. */
  logits(classLogits: readonly Float32Array[]): Float32Array {
    const n = classLogits.length;
    if (n === 0) return new Float32Array(0);
    const size = this.windows * YAMNET_CLASS_COUNT;
    const input = new Float32Array(n * size);
    classLogits.forEach((s, i) => {
      this.push(s);
      this.historyInto(input, i * size);
    });
    const out = tf.tidy(() => {
      const y = this.model.predict(tf.tensor3d(input, [n, this.windows, YAMNET_CLASS_COUNT])) as tf.Tensor;
      return tf.reshape(y, [n]);
    });
    try {
      return out.dataSync() as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
