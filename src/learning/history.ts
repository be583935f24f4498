import type { Db } from "../sinks/sqlite/database.js";
import type { FeedbackLabel } from "./labels.js";
import { reasonModelStatus } from "./reason-status.js";
import { LearningStore } from "./store.js";

/** Each episode's latest label and the reason model's line, for `babymon history` (a database from before: none). */
export function episodeFeedback(db: Db): { labels: Map<string, FeedbackLabel>; line: string | null } {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'learning_feedback'")
    .get();
  if (!exists) return { labels: new Map(), line: null };
  const store = new LearningStore(db);
  return { labels: store.latestLabels(), line: reasonModelStatus(store).line };
}
