import { REASONS, type Reason } from "../events.js";
import { dot, unitVector } from "./quantize.js";

/**
 * The per-baby reason model. Each labelled episode gives the mean of its crying windows' embeddings and the
 * general heads' reason probabilities. For a new episode, the baby's own part scores each reason by its label
 * frequency (add-one) times exp(cosine to that reason's centroid / temperature); the answer mixes it with the
 * general heads' output, the baby's part weighted n / (n + shrinkage): with a handful of labels the heads still
 * dominate, so a few labels cannot run away.
 */
export interface ReasonExample {
  /** unit mean embedding of the episode's crying windows */
  embedding: Float32Array;
  /** the general heads' probabilities (REASONS order), null without heads: then uniform */
  heads: number[] | null;
  label: Reason;
}

export interface ReasonModelParams {
  /** labels at which the baby's own part weighs as much as the general heads */
  shrinkage: number;
  /** softmax temperature of the cosine similarities */
  temperature: number;
}

export const DEFAULT_REASON_MODEL: ReasonModelParams = { shrinkage: 5, temperature: 0.02 };

export function meanEmbedding(windows: readonly Float32Array[]): Float32Array {
  const sum = new Float32Array(windows[0]?.length ?? 0);
  for (const w of windows) {
    const u = unitVector(w);
    for (let i = 0; i < sum.length; i++) sum[i] += u[i];
  }
  return unitVector(sum);
}

/** The model fitted on `examples`: reason probabilities for an episode (REASONS order). */
export function fitReasonModel(examples: readonly ReasonExample[], p = DEFAULT_REASON_MODEL) {
  const n = examples.length;
  const counts = REASONS.map((r) => examples.filter((e) => e.label === r).length);
  const centroids = REASONS.map((r, i) =>
    counts[i] > 0 ? meanEmbedding(examples.filter((e) => e.label === r).map((e) => e.embedding)) : null,
  );
  const weight = n / (n + p.shrinkage);
  return (embedding: Float32Array, heads: number[] | null): number[] => {
    const logits = REASONS.map((_, i) => {
      const c = centroids[i];
      return Math.log((counts[i] + 1) / (n + REASONS.length)) + (c ? dot(embedding, c) / p.temperature : 0);
    });
    const top = Math.max(...logits);
    const own = logits.map((l) => Math.exp(l - top));
    const z = own.reduce((a, b) => a + b, 0);
    const general = heads ?? REASONS.map(() => 1 / REASONS.length);
    return own.map((o, i) => weight * (o / z) + (1 - weight) * general[i]);
  };
}

export interface SelfEvaluation {
  labels: number;
  /** leave-one-episode-out accuracy of the model */
  looAccuracy: number;
  /** accuracy of always answering the most frequent label (its share; or, if higher, leave-one-out) */
  baselineAccuracy: number;
  /** the most frequent label of all (what "always" answers) */
  mostFrequent: Reason | null;
  /** the margin the model must beat the baseline by */
  margin: number;
  /** the model answers reasons (else "unsure") */
  answers: boolean;
}

/** Fewer labels than this: no self-evaluation is meaningful, the model answers "unsure". */
export const MIN_LABELS = 5;

/**
 * The margin: one-sided 95 % of the baseline's own sampling noise on n episodes (1.645·√(b(1−b)/n)), at least 5
 * points — a model that beats "always the same" by less than chance could explain is not trusted with an answer.
 */
export function requiredMargin(baseline: number, n: number): number {
  return Math.max(0.05, 1.645 * Math.sqrt((baseline * (1 - baseline)) / Math.max(1, n)));
}

const argmax = (xs: number[]) => xs.reduce((b, x, i) => (x > xs[b] ? i : b), 0);

/** Leave-one-episode-out self-evaluation against always answering the most frequent label. */
export function selfEvaluate(examples: readonly ReasonExample[], p = DEFAULT_REASON_MODEL): SelfEvaluation {
  const n = examples.length;
  let model = 0;
  let base = 0;
  examples.forEach((e, i) => {
    const rest = examples.filter((_, j) => j !== i);
    const predict = fitReasonModel(rest, p);
    if (REASONS[argmax(predict(e.embedding, e.heads))] === e.label) model++;
    const counts = REASONS.map((r) => rest.filter((x) => x.label === r).length);
    if (rest.length > 0 && REASONS[argmax(counts)] === e.label) base++;
  });
  const counts = REASONS.map((r) => examples.filter((x) => x.label === r).length);
  const looAccuracy = n > 0 ? model / n : 0;
  // the stricter of always the most frequent label of all (in-sample) and of the others (leave-one-out)
  const baselineAccuracy = n > 0 ? Math.max(base, Math.max(...counts)) / n : 0;
  const margin = requiredMargin(baselineAccuracy, n);
  return {
    labels: n,
    looAccuracy,
    baselineAccuracy,
    mostFrequent: n > 0 ? REASONS[argmax(counts)] : null,
    margin,
    answers: n >= MIN_LABELS && looAccuracy - baselineAccuracy >= margin,
  };
}

/** "reason model: 14 labels, leave-one-out 57 % vs 43 % for always 'hungry'" (+ whether it answers). */
export function selfEvaluationLine(e: SelfEvaluation): string {
  if (e.labels === 0) return "reason model: no labels yet (answers unsure)";
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  return `reason model: ${e.labels} label${e.labels === 1 ? "" : "s"}, leave-one-out ${pct(e.looAccuracy)} vs ${pct(e.baselineAccuracy)} for always '${e.mostFrequent}' (${e.answers ? "answers reasons" : `answers unsure: needs ${e.labels < MIN_LABELS ? `${MIN_LABELS} labels` : `+${pct(e.margin)}`}`})`;
}
