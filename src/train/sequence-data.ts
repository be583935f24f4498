import * as tf from "@tensorflow/tfjs-core";
import { CRY, LEFT_OUT, type WindowLabel } from "../dev/benchmark/labels.js";
import { EMBEDDING_DIM, type YamnetClassifier } from "./evidence-head.js";
import { mulberry32 } from "./random.js";
import { CLASSES, type SequenceSet } from "./sequence-model.js";

/**
 * The temporal model's training data: every labelled stream (the benchmark folds' streams, the generated hard
 * negatives) as YAMNet's raw class logits (or its embeddings) in one pool, full band and band-limited, and the
 * sequences of T windows a model may train on, with group-balanced loss weights.
 */

/** YAMNet's raw class logits (embedding · kernel + bias, before the sigmoid) of n embeddings (n × 1024). */
export function classLogits(embeddings: Float32Array, classifier: YamnetClassifier): Float32Array {
  const n = embeddings.length / EMBEDDING_DIM;
  const out = new Float32Array(n * CLASSES);
  const k = tf.tensor2d(classifier.kernel, [EMBEDDING_DIM, CLASSES]);
  const b = tf.tensor1d(classifier.bias);
  for (let s = 0; s < n; s += 512) {
    const m = Math.min(512, n - s);
    const emb = embeddings.subarray(s * EMBEDDING_DIM, (s + m) * EMBEDDING_DIM);
    out.set(
      tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(emb, [m, EMBEDDING_DIM]), k), b).dataSync() as Float32Array),
      s * CLASSES,
    );
  }
  k.dispose();
  b.dispose();
  return out;
}

/** One labelled stream in the pool: window i of band b is pool row `rows[b] + i`. */
export interface PooledStream {
  id: string;
  /** the benchmark fold it is, or null for streams of no fold (the hard negatives) */
  fold: number | null;
  n: number;
  rows: { full: number; limited: number };
  labels: WindowLabel[];
}

export interface LogitPool {
  /** rows × width */
  logits: Float32Array;
  /** values per row: 521 class logits, or 1024 embedding values (an embedding pool) */
  width: number;
  streams: PooledStream[];
}

export interface PoolInput {
  id: string;
  fold: number | null;
  fullEmbedding: Float32Array;
  limitedEmbedding: Float32Array;
  labels: WindowLabel[];
}

/** The inputs as YAMNet's class logits, or with `classifier` null as its embeddings themselves. */
export function logitPool(inputs: readonly PoolInput[], classifier: YamnetClassifier | null): LogitPool {
  const width = classifier ? CLASSES : EMBEDDING_DIM;
  const values = (e: Float32Array) => (classifier ? classLogits(e, classifier) : e);
  const total = inputs.reduce((s, x) => s + (2 * x.fullEmbedding.length) / EMBEDDING_DIM, 0);
  const logits = new Float32Array(total * width);
  const streams: PooledStream[] = [];
  let row = 0;
  for (const x of inputs) {
    const n = x.fullEmbedding.length / EMBEDDING_DIM;
    if (x.labels.length !== n) throw new RangeError(`${x.id}: ${x.labels.length} labels for ${n} windows`);
    logits.set(values(x.fullEmbedding), row * width);
    logits.set(values(x.limitedEmbedding), (row + n) * width);
    streams.push({ id: x.id, fold: x.fold, n, rows: { full: row, limited: row + n }, labels: x.labels });
    row += 2 * n;
  }
  return { logits, width, streams };
}

/** The full-band rows of one pooled stream (n × width), a view into the pool. */
export function fullBandLogits(pool: LogitPool, s: PooledStream): Float32Array {
  return pool.logits.subarray(s.rows.full * pool.width, (s.rows.full + s.n) * pool.width);
}

/** Share of the loss weight per group: crying, background alone, and the negative categories together. */
export const WEIGHT_CRY = 0.5;
export const WEIGHT_BACKGROUND = 0.1;

/** Loss weights balancing the groups: cry 0.5, background 0.1, the rest shared equally by the other groups. */
export function groupBalancedWeights(groups: readonly string[]): Float32Array {
  const counts = new Map<string, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  const categories = [...counts.keys()].filter((g) => g !== "cry" && g !== "background").length;
  const share = (g: string) =>
    g === "cry"
      ? WEIGHT_CRY
      : g === "background"
        ? WEIGHT_BACKGROUND
        : (1 - WEIGHT_CRY - WEIGHT_BACKGROUND) / Math.max(1, categories);
  const n = groups.length;
  return Float32Array.from(groups, (g) => (share(g) * n) / counts.get(g)!);
}

export interface SequenceSelection {
  windows: number;
  /** keep every n-th background-only window */
  backgroundEvery: number;
  bands: ReadonlyArray<"full" | "limited">;
  seed: number;
  /** streams to take windows from */
  streams: (s: PooledStream) => boolean;
  /** sources no window of a sequence may hear (the test fold's, the held-out ones) */
  exclude: ReadonlySet<string>;
  /** only sequences none of whose windows lies in a band-limited stretch of its stream (WindowLabel.bandLimited) */
  fullBandOnly?: boolean;
}

/**
 * The sequences ending at every labelled window of the selected streams (one band per sequence, drawn at random:
 * a microphone does not change bandwidth mid-stream), none hearing an excluded source in any of its windows.
 */
export function sequenceSet(pool: LogitPool, sel: SequenceSelection): SequenceSet & { groups: string[] } {
  const T = sel.windows;
  const rand = mulberry32(sel.seed + 17);
  const rows: number[] = [];
  const labels: number[] = [];
  const groups: string[] = [];
  for (const s of pool.streams) {
    if (!sel.streams(s)) continue;
    const banned = s.labels.map(
      (l) => l.sources.some((x) => sel.exclude.has(x)) || (sel.fullBandOnly === true && l.bandLimited),
    );
    let bg = 0;
    s.labels.forEach((l, i) => {
      if (l.label === LEFT_OUT) return;
      if (l.group === "background" && bg++ % sel.backgroundEvery !== 0) return;
      for (let t = Math.max(0, i - T + 1); t <= i; t++) if (banned[t]) return;
      const band = sel.bands[Math.floor(rand() * sel.bands.length)];
      const first = s.rows[band];
      for (let t = 0; t < T; t++) rows.push(first + Math.max(0, i - T + 1 + t));
      labels.push(l.label === CRY ? 1 : 0);
      groups.push(l.group);
    });
  }
  return {
    pool: pool.logits,
    width: pool.width,
    rows: Int32Array.from(rows),
    labels: Uint8Array.from(labels),
    weights: groupBalancedWeights(groups),
    groups,
  };
}

/**
 * Hard-negative mining: the set with the loss weight of every negative the first round scored above `logit`
 * multiplied by `boost` (the first round's own training windows, scored in-sample: what it still got wrong).
 */
export function minedWeights(
  set: SequenceSet,
  firstRoundLogits: Float32Array,
  boost: number,
  logit = 0,
): { weights: Float32Array; mined: number } {
  let mined = 0;
  const weights = Float32Array.from(set.weights, (w, i) => {
    if (set.labels[i] === 0 && firstRoundLogits[i] > logit) {
      mined++;
      return w * boost;
    }
    return w;
  });
  return { weights, mined };
}
