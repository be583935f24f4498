import Table from "cli-table3";
import type { Command } from "commander";
import { type AudioStream, chunks16k, openAudioFile } from "../../audio/decode.js";
import { AudioFileError } from "../../audio/wav.js";
import {
  PATCH_HOP_SAMPLES,
  PATCH_SIZE,
  PATCH_WINDOW_SAMPLES,
  YAMNET_FRONTEND,
} from "../../dsp/frontend-params.js";
import type { ModelVersions, ReasonProbabilities } from "../../events.js";
import type { WindowAnalysis } from "../../inference/analysis.js";
import {
  createAnalyzer,
  findHeadsDirs,
  type YamnetAnalyzer,
  yamnetCryScore,
} from "../../inference/analyzer.js";
import { BACKEND_PREFERENCES, type BackendPreference, isBackendPreference } from "../../inference/backend.js";
import { type ClassMap, loadClassMap } from "../../inference/class-map.js";
import { round } from "../../util/round.js";
import { readPackageVersion } from "../../version.js";

/**
 * `babymon classify <files…>`: YAMNet's top classes, its cry score and (with trained heads) the cry
 * probability and reasons, per file and optionally per patch. `--json` prints CLASSIFY_SCHEMA_VERSION output,
 * documented in README.md under "classify --json schema".
 */

const CLASSIFY_SCHEMA_VERSION = 1;

export interface ClassScore {
  index: number;
  name: string;
  score: number;
}

export interface PatchResult {
  index: number;
  startSec: number;
  endSec: number;
  top: ClassScore[];
  yamnetCry: number;
  cry: number;
  reasons: ReasonProbabilities | null;
}

export interface FileResultOk {
  path: string;
  ok: true;
  format: string;
  sampleRate: number;
  channels: number;
  durationSec: number;
  patches: number;
  /** the file was shorter than one 0.975 s window and was padded with silence */
  padded: boolean;
  top: ClassScore[];
  cry: {
    /** max over classes 19, 20, 21 of the patch-mean scores */
    yamnet: number;
    /** max over patches of the per-patch YAMNet cry score */
    yamnetPeak: number;
    /** mean over patches of the heads' cry probability, or null without heads */
    heads: number | null;
    /** max over patches of the heads' cry probability, or null without heads */
    headsPeak: number | null;
  };
  /** heads' reason probabilities averaged over patches weighted by their cry probability, or null */
  reasons: ReasonProbabilities | null;
  perPatch?: PatchResult[];
  elapsedMs: number;
}

export interface FileResultError {
  path: string;
  ok: false;
  error: string;
}

export type FileResult = FileResultOk | FileResultError;

export interface ClassifyOutput {
  schemaVersion: typeof CLASSIFY_SCHEMA_VERSION;
  babymon: string;
  backend: string;
  models: ModelVersions;
  /** the heads' input was band-limited to this many Hz because they were trained so (the AudioSet classes and
   * YAMNet's cry score always come from full-band audio); 0 = full band */
  bandLimitHz: number;
  top: number;
  files: FileResult[];
}

export interface ClassifyOptions {
  top: number;
  perPatch: boolean;
  /** windows per YAMNet call */
  batch?: number;
}

/** Decimals of classify's figures. */
const DIGITS = 6;

function topClasses(scores: ArrayLike<number>, n: number, classes: ClassMap): ClassScore[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  return order
    .slice(0, n)
    .map((index) => ({ index, name: classes.names[index], score: round(scores[index], DIGITS) }));
}

/**
 * 16 kHz windows of PATCH_WINDOW_SAMPLES at PATCH_HOP_SAMPLES; a stream shorter than one window is zero-padded.
 * Each yielded window is a view, valid until the next one is requested (no copy per window).
 */
async function* slidingWindows(
  chunks: AsyncIterable<Float32Array>,
  onPadded: () => void,
): AsyncGenerator<Float32Array> {
  let buffer = new Float32Array(PATCH_WINDOW_SAMPLES * 4);
  let length = 0;
  let emitted = 0;
  for await (const chunk of chunks) {
    if (length + chunk.length > buffer.length) {
      const grown = new Float32Array(Math.max(buffer.length * 2, length + chunk.length));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(chunk, length);
    length += chunk.length;
    let start = 0;
    while (start + PATCH_WINDOW_SAMPLES <= length) {
      yield buffer.subarray(start, start + PATCH_WINDOW_SAMPLES);
      emitted++;
      start += PATCH_HOP_SAMPLES;
    }
    if (start > 0) {
      buffer.copyWithin(0, start, length);
      length -= start;
    }
  }
  if (emitted === 0 && length > 0) {
    onPadded();
    const padded = new Float32Array(PATCH_WINDOW_SAMPLES);
    padded.set(buffer.subarray(0, length));
    yield padded;
  }
}

/** Classifies one file; errors (unreadable audio) are returned as a FileResultError, not thrown. */
export async function classifyFile(
  analyzer: YamnetAnalyzer,
  classes: ClassMap,
  path: string,
  options: ClassifyOptions,
): Promise<FileResult> {
  const t0 = performance.now();
  let stream: AudioStream | undefined;
  try {
    stream = await openAudioFile(path);
    const sum = new Float64Array(classes.names.length);
    const reasonSum: Record<string, number> = {};
    let reasonWeight = 0;
    let patches = 0;
    let yamnetPeak = 0;
    let headsSum = 0;
    let headsPeak = 0;
    let hasHeads = false;
    let padded = false;
    let samples16k = 0;
    const perPatch: PatchResult[] = [];
    const counted = async function* (s: AudioStream) {
      for await (const c of chunks16k(s)) {
        samples16k += c.length;
        yield c;
      }
    };
    const consume = (results: WindowAnalysis[]) => {
      for (const r of results) {
        for (let i = 0; i < sum.length; i++) sum[i] += r.scores[i];
        yamnetPeak = Math.max(yamnetPeak, r.yamnetCry);
        if (r.reasons) {
          hasHeads = true;
          headsSum += r.cry;
          headsPeak = Math.max(headsPeak, r.cry);
          for (const [k, v] of Object.entries(r.reasons)) reasonSum[k] = (reasonSum[k] ?? 0) + r.cry * v;
          reasonWeight += r.cry;
        }
        if (options.perPatch) {
          const startSec = (patches * PATCH_HOP_SAMPLES) / YAMNET_FRONTEND.sampleRate;
          perPatch.push({
            index: patches,
            startSec: round(startSec, DIGITS),
            endSec: round(startSec + PATCH_WINDOW_SAMPLES / YAMNET_FRONTEND.sampleRate, DIGITS),
            top: topClasses(r.scores, options.top, classes),
            yamnetCry: round(r.yamnetCry, DIGITS),
            cry: round(r.cry, DIGITS),
            reasons: r.reasons ? roundReasons(r.reasons) : null,
          });
        }
        patches++;
      }
    };
    // log-mel patches are computed into a reused pool as soon as each window appears
    const batchSize = options.batch ?? 8;
    const pool = Array.from({ length: batchSize }, () => new Float32Array(PATCH_SIZE));
    // heads trained on band-limited audio get it; the AudioSet classes and YAMNet's cry score come from full band
    const fullBand = analyzer.bandLimitHz > 0;
    const fullPool = fullBand ? Array.from({ length: batchSize }, () => new Float32Array(PATCH_SIZE)) : [];
    let filled = 0;
    const flush = async (n: number) => {
      const full = fullBand ? analyzer.analyzeYamnetOnly(fullPool.slice(0, n)) : null;
      const results = await analyzer.analyzePatches(pool.slice(0, n));
      consume(full ? results.map((r, i) => ({ ...r, ...full[i] })) : results);
    };
    for await (const w of slidingWindows(counted(stream), () => {
      padded = true;
    })) {
      if (fullBand) analyzer.fullBandPatchOf(w, fullPool[filled]);
      analyzer.patchOf(w, pool[filled++]);
      if (filled === batchSize) {
        await flush(filled);
        filled = 0;
      }
    }
    if (filled > 0) await flush(filled);
    if (patches === 0) throw new AudioFileError(path, "no audio samples after decoding");
    const mean = sum.map((s) => s / patches);
    let reasons: ReasonProbabilities | null = null;
    if (hasHeads) {
      const weights = reasonWeight > 0 ? reasonWeight : patches;
      reasons = Object.fromEntries(
        Object.entries(reasonSum).map(([k, v]) => [k, round(reasonWeight > 0 ? v / weights : v, DIGITS)]),
      ) as ReasonProbabilities;
    }
    const result: FileResultOk = {
      path,
      ok: true,
      format: stream.format,
      sampleRate: stream.sampleRate,
      channels: stream.channels,
      durationSec: round(
        stream.frames !== null ? stream.frames / stream.sampleRate : samples16k / YAMNET_FRONTEND.sampleRate,
        DIGITS,
      ),
      patches,
      padded,
      top: topClasses(mean, options.top, classes),
      cry: {
        yamnet: round(yamnetCryScore(mean), DIGITS),
        yamnetPeak: round(yamnetPeak, DIGITS),
        heads: hasHeads ? round(headsSum / patches, DIGITS) : null,
        headsPeak: hasHeads ? round(headsPeak, DIGITS) : null,
      },
      reasons,
      elapsedMs: Math.round(performance.now() - t0),
    };
    if (options.perPatch) result.perPatch = perPatch;
    return result;
  } catch (err) {
    await stream?.close().catch(() => {});
    const message = err instanceof AudioFileError ? err.message : `${path}: ${(err as Error).message}`;
    return { path, ok: false, error: message };
  }
}

function roundReasons(r: ReasonProbabilities): ReasonProbabilities {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, DIGITS)])) as ReasonProbabilities;
}

const fmt = (x: number) => x.toFixed(3);

function formatReasons(r: ReasonProbabilities): string {
  return Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
}

/** The human-readable report of one file. */
export function renderFile(r: FileResultOk, top: number): string {
  const lines: string[] = [];
  const patchWord = r.patches === 1 ? "patch" : "patches";
  lines.push(
    `${r.path} — ${r.format}, ${r.durationSec.toFixed(2)} s, ${r.patches} ${patchWord}${r.padded ? " (padded with silence)" : ""}`,
  );
  const table = new Table({
    head: ["#", `top ${top} classes (mean over ${r.patches} ${patchWord})`, "score"],
    colAligns: ["right", "left", "right"],
    style: { head: [], border: [], compact: true },
  });
  r.top.forEach((c, i) => {
    table.push([i + 1, c.name, fmt(c.score)]);
  });
  lines.push(table.toString());
  lines.push(
    `cry score (YAMNet, max of "Crying, sobbing", "Baby cry, infant cry", "Whimper"): ${fmt(r.cry.yamnet)} mean, ${fmt(r.cry.yamnetPeak)} peak`,
  );
  if (r.cry.heads !== null) {
    lines.push(
      `cry probability (trained heads): ${fmt(r.cry.heads)} mean, ${fmt(r.cry.headsPeak ?? 0)} peak`,
    );
  }
  if (r.reasons) lines.push(`reasons (cry-weighted mean): ${formatReasons(r.reasons)}`);
  if (r.perPatch) {
    const withHeads = r.perPatch.some((p) => p.reasons);
    const pt = new Table({
      head: [
        "patch",
        "time (s)",
        "YAMNet cry",
        ...(withHeads ? ["cry", "top reason"] : []),
        `top ${top} classes`,
      ],
      colAligns: ["right", "left", "right", ...(withHeads ? (["right", "left"] as const) : []), "left"],
      style: { head: [], border: [], compact: true },
    });
    for (const p of r.perPatch) {
      const reason = p.reasons ? Object.entries(p.reasons).sort((a, b) => b[1] - a[1])[0] : undefined;
      pt.push([
        p.index,
        `${p.startSec.toFixed(2)}–${p.endSec.toFixed(2)}`,
        fmt(p.yamnetCry),
        ...(withHeads ? [fmt(p.cry), reason ? `${reason[0]} ${fmt(reason[1])}` : ""] : []),
        p.top.map((c) => `${c.name} ${fmt(c.score)}`).join(", "),
      ]);
    }
    lines.push(pt.toString());
  }
  return lines.join("\n");
}

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
