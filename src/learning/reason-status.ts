import { REASONS } from "../events.js";
import { isReason } from "./labels.js";
import { dequantizeEmbedding } from "./quantize.js";
import {
  meanEmbedding,
  type ReasonExample,
  type SelfEvaluation,
  selfEvaluate,
  selfEvaluationLine,
} from "./reason-model.js";
import type { LearningStore } from "./store.js";

export interface ReasonModelStatus extends SelfEvaluation {
  line: string;
}

/** The parents' reason labels as examples: each labelled episode's crying windows and the heads' output. */
export function reasonExamples(store: LearningStore): ReasonExample[] {
  const out: ReasonExample[] = [];
  for (const [id, label] of store.latestLabels()) {
    if (!isReason(label)) continue;
    const windows = store.windowsOf(id).filter((w) => w.inEpisode);
    if (windows.length === 0) continue;
    const probabilities = store.episode(id)?.probabilities ?? null;
    out.push({
      embedding: meanEmbedding(windows.map((w) => dequantizeEmbedding(w.embedding))),
      heads: probabilities ? REASONS.map((r) => probabilities[r] ?? 0) : null,
      label,
    });
  }
  return out;
}

export function reasonModelStatus(store: LearningStore): ReasonModelStatus {
  const evaluation = selfEvaluate(reasonExamples(store));
  return { ...evaluation, line: selfEvaluationLine(evaluation) };
}
