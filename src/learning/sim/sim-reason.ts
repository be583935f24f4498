import { basename } from "node:path";
import { REASONS, type Reason } from "../../events.js";
import { dequantizeEmbedding } from "../quantize.js";
import { fitReasonModel, meanEmbedding, type ReasonExample, selfEvaluate } from "../reason-model.js";
import { MARGIN_BEFORE_SEC, type SimEvent } from "./sim-data.js";

/** Families (app installs) with at least this many labelled clips take part. */
export const MIN_FAMILY_CLIPS = 4;

/** A cry event as a labelled episode: its crying windows' mean embedding and the general heads' mean output. */
export function exampleOf(e: SimEvent): ReasonExample {
  const inside = e.windows.filter(
    (w) => w.startSec >= MARGIN_BEFORE_SEC - 0.5 && w.endSec <= MARGIN_BEFORE_SEC + e.durationSec + 0.5,
  );
  const used = inside.length > 0 ? inside : e.windows;
  const heads = used[0].reasons
    ? REASONS.map((_, i) => used.reduce((s, w) => s + (w.reasons?.[i] ?? 0), 0) / used.length)
    : null;
  return {
    embedding: meanEmbedding(used.map((w) => dequantizeEmbedding(w.embedding))),
    heads,
    label: e.reason as Reason,
  };
}

export interface FamilyResult {
  family: string;
  clips: number;
  labels: Record<string, number>;
  /** self-evaluation with all clips labelled */
  looAccuracy: number;
  baselineAccuracy: number;
  answers: boolean;
  /** labelling one by one: the next clip predicted before it is labelled, when the model answered at that point */
  answered: number;
  answeredRight: number;
  /** what always answering the most frequent label so far would have scored on those same clips */
  answeredBaselineRight: number;
}

const argmax = (xs: number[]) => xs.reduce((b, x, i) => (x > xs[b] ? i : b), 0);

/**
 * A parent labelling their own Donate-a-Cry clips one by one, in the order they recorded them (the timestamp in
 * the file name): after each label the model re-evaluates itself by leave-one-out; before each new clip, when it
 * answers, its answer is compared with the parent's label.
 */
export function simulateReasons(events: readonly SimEvent[]): FamilyResult[] {
  const byFamily = new Map<string, SimEvent[]>();
  for (const e of events) if (e.kind === "cry") byFamily.set(e.group, [...(byFamily.get(e.group) ?? []), e]);
  const out: FamilyResult[] = [];
  for (const [family, list] of byFamily) {
    if (list.length < MIN_FAMILY_CLIPS) continue;
    const ordered = [...list].sort((a, b) => basename(a.file).localeCompare(basename(b.file)));
    const examples = ordered.map(exampleOf);
    let answered = 0;
    let answeredRight = 0;
    let answeredBaselineRight = 0;
    for (let n = 1; n < examples.length; n++) {
      const seen = examples.slice(0, n);
      if (!selfEvaluate(seen).answers) continue;
      const next = examples[n];
      answered++;
      if (REASONS[argmax(fitReasonModel(seen)(next.embedding, next.heads))] === next.label) answeredRight++;
      const counts = REASONS.map((r) => seen.filter((x) => x.label === r).length);
      if (REASONS[argmax(counts)] === next.label) answeredBaselineRight++;
    }
    const final = selfEvaluate(examples);
    out.push({
      family,
      clips: examples.length,
      labels: Object.fromEntries(
        REASONS.map((r) => [r, examples.filter((x) => x.label === r).length]).filter(([, c]) => c !== 0),
      ),
      looAccuracy: final.looAccuracy,
      baselineAccuracy: final.baselineAccuracy,
      answers: final.answers,
      answered,
      answeredRight,
      answeredBaselineRight,
    });
  }
  return out.sort((a, b) => b.clips - a.clips || a.family.localeCompare(b.family));
}
