import { existsSync } from "node:fs";
import type { Command } from "commander";
import { databasePath } from "../app.js";
import { loadConfigOrExit, withConfigOption } from "../cli/config-options.js";
import { resolveDataDir } from "../config/load.js";
import { type Db, openDatabase } from "../sinks/sqlite/database.js";
import { parseSince } from "../util/since.js";
import type { LearningConfig } from "./config.js";
import { applyFeedback, LABEL_LIST, missedCry } from "./feedback.js";
import { type FeedbackLabel, isFeedbackLabel } from "./labels.js";
import { LearningStore } from "./store.js";

const fail = (code: number, message: string): never => {
  process.stderr.write(`babymon: ${message}\n`);
  process.exit(code);
};

/** The daemon's database (the same file; the running daemon picks changes up within `learning.pollSec`). */
function openLearning(configFile: string | undefined): { db: Db; learning: LearningConfig } {
  const { config } = loadConfigOrExit(configFile);
  const path = databasePath(config, resolveDataDir(config));
  if (!existsSync(path)) fail(1, `no database at ${path} yet (has \`babymon run\` been started?)`);
  return { db: openDatabase(path), learning: config.learning };
}

interface FeedbackOptions {
  config?: string;
  last?: boolean;
  episode?: string;
  at?: string;
  notCry?: boolean;
  cry?: boolean;
  reason?: string;
}

/** The label the flags ask for, or why they do not make sense. */
export function labelOf(o: FeedbackOptions): FeedbackLabel | string {
  const given = [o.notCry, o.cry, o.reason !== undefined].filter(Boolean).length;
  if (given !== 1) return "Expected exactly one of --not-cry, --cry, --reason R";
  if (o.notCry) return "not_cry";
  if (o.cry) return "cry_unknown_reason";
  if (!isFeedbackLabel(o.reason))
    return `Expected \`--reason\` to be one of ${LABEL_LIST}, got ${JSON.stringify(o.reason)}`;
  return o.reason;
}

export function registerFeedback(program: Command): void {
  withConfigOption(
    program
      .command("feedback")
      .description("say what an episode was: not a cry, a cry, or its reason (babymon learns from it)")
      .option("--last", "the current or most recent episode")
      .option("--episode <id>", "the episode with this id (`babymon history` lists them)")
      .option("--at <when>", "a cry babymon missed: when (a date, or 10m / 2h ago), with --cry or --reason")
      .option("--not-cry", "it was not crying (the cat, the TV): fewer alarms from that sound")
      .option("--cry", "it was crying, reason unknown")
      .option("--reason <reason>", `what it was: ${LABEL_LIST}`),
  ).action((o: FeedbackOptions) => {
    if ([o.last, o.episode !== undefined, o.at !== undefined].filter(Boolean).length !== 1)
      fail(2, "Expected exactly one of --last, --episode ID, --at TIME");
    const label = labelOf(o);
    if (!isFeedbackLabel(label)) return fail(2, label);
    if (o.at !== undefined && label === "not_cry")
      fail(2, "`--at` is for a cry babymon missed: use --cry or --reason");
    let atMs = 0;
    try {
      if (o.at !== undefined) atMs = parseSince(o.at);
    } catch {
      fail(2, `Expected \`--at\` to be a date or a duration ago like 10m, 2h, got ${JSON.stringify(o.at)}`);
    }
    const { db, learning } = openLearning(o.config);
    if (o.at !== undefined) {
      const missed = missedCry(new LearningStore(db), atMs, label);
      db.close();
      if (!missed.ok) fail(1, `warning: ${missed.warning}; nothing changed`);
      process.stdout.write(`a missed cry at ${new Date(atMs).toISOString()} recorded (${label})\n`);
      return;
    }
    try {
      const result = applyFeedback(
        new LearningStore(db),
        { episodeId: o.episode ?? "last", label },
        { source: "cli", retentionDays: learning.retentionDays },
      );
      if (!result.ok) fail(1, `warning: ${result.warning}; nothing changed`);
      else
        process.stdout.write(
          `episode ${result.episodeId}: ${result.label}${result.unchanged ? " (already so)" : " recorded"}\n`,
        );
    } finally {
      db.close();
    }
  });
}

export function registerForget(program: Command): void {
  withConfigOption(
    program
      .command("forget")
      .description("delete the embeddings and labels babymon keeps to learn (all, or of one episode)")
      .option("--all", "every episode")
      .option("--episode <id>", "one episode"),
  ).action((o: { config?: string; all?: boolean; episode?: string }) => {
    if (Boolean(o.all) === (o.episode !== undefined)) fail(2, "Expected exactly one of --all, --episode ID");
    const { db } = openLearning(o.config);
    try {
      // overwrite the deleted rows' content on disk too, then give the pages back
      db.pragma("secure_delete = ON");
      const { windows, labels } = new LearningStore(db).forget(o.all ? null : o.episode!);
      db.pragma("incremental_vacuum");
      db.pragma("wal_checkpoint(TRUNCATE)");
      process.stdout.write(`forgot ${windows} window embeddings and ${labels} labels\n`);
    } finally {
      db.close();
    }
  });
}
