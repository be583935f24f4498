import { z } from "zod";

/** The `learning` slice: what babymon keeps to learn from the parents' feedback, and for how long. */
export const learningConfigSchema = z
  .object({
    /** Keep the windows' quantized YAMNet embeddings around each episode and learn from feedback. */
    enabled: z.boolean().default(true),
    /** Embeddings, scores and labels older than this are deleted. */
    retentionDays: z.number().min(1).max(3650).default(90),
    /** Seconds kept before the start and after the end of each episode. */
    contextSec: z.number().min(0).max(30).default(5),
    /** How often the daemon looks for feedback written by `babymon feedback` (same database). */
    pollSec: z.number().min(0.2).max(60).default(2),
  })
  .strict();

export type LearningConfig = z.infer<typeof learningConfigSchema>;
