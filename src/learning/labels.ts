import { REASONS, type Reason } from "../events.js";

/** What a parent can say about an episode: a reason, "not a cry", or "a cry, reason unknown". */
export const FEEDBACK_LABELS = [...REASONS, "not_cry", "cry_unknown_reason"] as const;
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];

export function isFeedbackLabel(value: unknown): value is FeedbackLabel {
  return typeof value === "string" && (FEEDBACK_LABELS as readonly string[]).includes(value);
}

export function isReason(label: string): label is Reason {
  return (REASONS as readonly string[]).includes(label);
}

/** A label that says the episode was crying (a reason or unknown reason): it clears an earlier "not a cry". */
export const isCryLabel = (label: FeedbackLabel) => label !== "not_cry";
