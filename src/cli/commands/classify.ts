import type { Command } from "commander";
import { createAnalyzer, findHeadsDirs, type YamnetAnalyzer } from "../../inference/analyzer.js";
import { BACKEND_PREFERENCES, type BackendPreference, isBackendPreference } from "../../inference/backend.js";
import { type ClassMap, loadClassMap } from "../../inference/class-map.js";
import { readPackageVersion } from "../../version.js";
import { classifyFile } from "../classify/classify-file.js";
import { renderFile } from "../classify/render.js";
import {
  CLASSIFY_SCHEMA_VERSION,
  type ClassifyOptions,
  type ClassifyOutput,
  type FileResult,
} from "../classify/types.js";

/**
 * `babymon classify <files…>`: YAMNet's top classes, its cry score and (with trained heads) the cry
 * probability and reasons, per file and optionally per patch. `--json` prints CLASSIFY_SCHEMA_VERSION output,
 * documented in README.md under "classify --json schema".
 */

interface CliOptions {
  top: string;
  perPatch: boolean;
  json: boolean;
  backend: string;
  model?: string;
  /** a folder, false for --no-heads, undefined for the newest heads folder under models/ (if any) */
  heads?: string | false;
}

function parseTop(value: string, classes: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > classes) {
    throw new Error(
      `Expected \`--top\` to be an integer between 1 and ${classes}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function register(program: Command): void {
  program
    .command("classify")
    .description(
      "Classify audio files with YAMNet: top AudioSet classes, cry score, and cry/reason probabilities when trained heads are available",
    )
    .argument("<files...>", "audio files: WAV, or anything ffmpeg decodes (mp3, ogg, flac, m4a, 3gp, …)")
    .option("--top <n>", "number of top classes to show", "5")
    .option("--per-patch", "also show every 0.96 s patch (hop 0.48 s)", false)
    .option("--json", "print JSON (schema: README.md, 'classify --json schema')", false)
    .option("--backend <name>", `TF.js backend: ${BACKEND_PREFERENCES.join(", ")}`, "auto")
    .option("--model <dir>", "YAMNet model folder built by `babymon models` (default models/yamnet)")
    .option(
      "--heads <dir>",
      "trained heads folder (cry probability and reasons); default: the newest under models/, if any",
    )
    .option("--no-heads", "YAMNet only, even when trained heads exist")
    .action(async (files: string[], opts: CliOptions) => {
      process.exitCode = await runClassify(files, opts);
    });
}

async function runClassify(files: string[], opts: CliOptions): Promise<number> {
  let analyzer: YamnetAnalyzer;
  let classes: ClassMap;
  let top: number;
  try {
    if (!isBackendPreference(opts.backend)) {
      throw new Error(
        `Expected \`--backend\` to be one of ${BACKEND_PREFERENCES.join(", ")}, got ${JSON.stringify(opts.backend)}`,
      );
    }
    const backend: BackendPreference = opts.backend;
    classes = loadClassMap(undefined, opts.model);
    top = parseTop(opts.top, classes.names.length);
    const log = (line: string) => process.stderr.write(`classify: ${line}\n`);
    const heads = opts.heads === false ? null : (opts.heads ?? findHeadsDirs()[0] ?? null);
    analyzer = await createAnalyzer({ modelDir: opts.model, backend, heads, log });
  } catch (err) {
    process.stderr.write(`classify: ${(err as Error).message}\n`);
    return 2;
  }
  const options: ClassifyOptions = { top, perPatch: opts.perPatch };
  const results: FileResult[] = [];
  if (!opts.json && analyzer.models.heads) {
    const limit = analyzer.bandLimitHz
      ? `; their input is band-limited to ${analyzer.bandLimitHz} Hz as in training (the AudioSet classes below hear full band)`
      : "";
    process.stdout.write(`trained heads: ${analyzer.models.heads}${limit}\n\n`);
  }
  try {
    for (const file of files) {
      const r = await classifyFile(analyzer, classes, file, options);
      results.push(r);
      if (!r.ok) process.stderr.write(`classify: ${r.error}\n`);
      else if (!opts.json) process.stdout.write(`${renderFile(r, top)}\n\n`);
    }
  } finally {
    analyzer.dispose();
  }
  if (opts.json) {
    const out: ClassifyOutput = {
      schemaVersion: CLASSIFY_SCHEMA_VERSION,
      babymon: readPackageVersion(),
      backend: analyzer.backend,
      models: analyzer.models,
      bandLimitHz: analyzer.bandLimitHz,
      top,
      files: results,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  }
  if (process.env.BABYMON_REPORT_RSS === "1") {
    process.stderr.write(`classify: maxRSS ${process.resourceUsage().maxRSS} kB\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}
