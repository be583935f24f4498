import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadCryHeads } from "../../inference/analyzer.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "../../inference/yamnet.js";
import { yamnetClassifier } from "../../train/evidence-head.js";
import { PROJECT_ROOT } from "../../version.js";
import type { CandidateSpec } from "./candidates.js";
import { DEFAULT_BENCHMARK, DEFAULT_CANDIDATES, runBenchmark, writeBenchmark } from "./run.js";
import { type SequenceCandidateSpec, type SmoothingSpec, smoothingName } from "./temporal.js";

interface CandidateLists {
  candidates: CandidateSpec[];
  sequenceCandidates: SequenceCandidateSpec[];
  smoothing: SmoothingSpec[];
}

/** The candidates whose name contains one of `only` (all without it). */
export function selectCandidates(lists: CandidateLists, only?: readonly string[]): CandidateLists {
  if (!only) return lists;
  const keep = (name: string) => only.some((o) => name.includes(o));
  return {
    candidates: lists.candidates.filter((c) => keep(c.name)),
    sequenceCandidates: lists.sequenceCandidates.filter((c) => keep(c.name)),
    smoothing: lists.smoothing.filter((s) => keep(smoothingName(s))),
  };
}

export const EVAL_DETECTION_USAGE = `npx tsx scripts/eval-detection.ts [--folds 5] [--fold-seed 1] [--budget 1]
    [--shipped models/babymon-heads | --no-shipped] [--out runs/benchmark] [--reps 1000] [--quick] [--only-folds 0,1,2]
    [--only "sequence T=8,max"] [--feature-threads N] [--full-band-background]

The leave-source-out detection benchmark (src/dev/benchmark/): one stream per fold from ../shared, scored by YAMNet's
own cry score, the shipped heads and each candidate head (trained per fold without that fold's sources, nor the
held-out ones) through the daemon's episode logic. --only keeps the candidates (evidence heads, temporal models, smoothings) whose name
contains one of the comma-separated parts. Uncached fold features are computed in --feature-threads worker threads
(default: the machine's cores). --full-band-background builds the streams as before 2026-12-02: a cry that exists only
as its 8 kHz clip plays over full-band background (4–8 kHz then holds noise alone under it). Writes benchmark.md and
benchmark.json to --out and prints the markdown.`;

export interface EvalDetectionArgs {
  k: number;
  foldSeed: number;
  budgetPerHour: number;
  shippedDir: string | null;
  outDir: string;
  reps: number;
  /** only the first candidate */
  quick: boolean;
  onlyFolds?: number[];
  /** keep only candidates whose name contains one of these */
  only?: string[];
  featureThreads?: number;
  /** StreamOptions.matchCryBandwidth off */
  fullBandBackground: boolean;
}

export function parseEvalDetectionArgs(argv: string[]): EvalDetectionArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      folds: { type: "string", default: String(DEFAULT_BENCHMARK.k) },
      "fold-seed": { type: "string", default: String(DEFAULT_BENCHMARK.foldSeed) },
      budget: { type: "string", default: String(DEFAULT_BENCHMARK.budgetPerHour) },
      shipped: { type: "string", default: join(PROJECT_ROOT, "models", "babymon-heads") },
      "no-shipped": { type: "boolean", default: false },
      out: { type: "string", default: join(PROJECT_ROOT, "runs", "benchmark") },
      reps: { type: "string", default: String(DEFAULT_BENCHMARK.bootstrapReps) },
      quick: { type: "boolean", default: false },
      "only-folds": { type: "string" },
      only: { type: "string" },
      "feature-threads": { type: "string" },
      "full-band-background": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${EVAL_DETECTION_USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`Expected --${name} to be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const budget = Number(values.budget);
  if (!(budget >= 0))
    throw new Error(`Expected --budget to be a number ≥ 0 (false episodes per hour), got ${values.budget}`);
  return {
    k: int("folds", values.folds, 2),
    foldSeed: int("fold-seed", values["fold-seed"], 0),
    budgetPerHour: budget,
    shippedDir: values["no-shipped"] ? null : values.shipped,
    outDir: values.out,
    reps: int("reps", values.reps, 0),
    quick: values.quick,
    ...(values["only-folds"]
      ? { onlyFolds: values["only-folds"].split(",").map((v) => int("only-folds", v, 0)) }
      : {}),
    ...(values.only ? { only: values.only.split(",").map((v) => v.trim()) } : {}),
    ...(values["feature-threads"]
      ? { featureThreads: int("feature-threads", values["feature-threads"], 1) }
      : {}),
    fullBandBackground: values["full-band-background"],
  };
}

/** Loads the models, runs the benchmark, writes and prints it. */
export async function evalDetection(a: EvalDetectionArgs, log: (line: string) => void): Promise<void> {
  const yamnet = await YamnetModel.load(DEFAULT_YAMNET_DIR, { backend: "wasm", log });
  let shipped = null;
  if (a.shippedDir) {
    const heads = await loadCryHeads(a.shippedDir, yamnet.manifest.source.sha256);
    const t = heads.thresholds ?? {};
    shipped = {
      heads,
      dir: a.shippedDir,
      point: { threshold: t.episode ?? 0.75, onsetN: t.onsetN ?? 4, onsetStrong: t.onsetStrong ?? 1 },
    };
  }
  const { result } = await runBenchmark({
    ...DEFAULT_BENCHMARK,
    k: a.k,
    foldSeed: a.foldSeed,
    stream: { ...DEFAULT_BENCHMARK.stream, matchCryBandwidth: !a.fullBandBackground },
    budgetPerHour: a.budgetPerHour,
    bootstrapReps: a.reps,
    yamnet,
    classifier: yamnetClassifier(DEFAULT_YAMNET_DIR),
    shipped,
    ...selectCandidates(
      {
        candidates: a.quick ? DEFAULT_CANDIDATES.slice(0, 1) : DEFAULT_CANDIDATES,
        sequenceCandidates: DEFAULT_BENCHMARK.sequenceCandidates,
        smoothing: DEFAULT_BENCHMARK.smoothing,
      },
      a.only,
    ),
    ...(a.onlyFolds ? { onlyFolds: a.onlyFolds } : {}),
    ...(a.featureThreads ? { featureThreads: a.featureThreads } : {}),
    log,
  });
  const files = writeBenchmark(result, a.outDir);
  process.stdout.write(`${result.markdown}\n\nwritten: ${files.markdown}, ${files.json}\n`);
  yamnet.dispose();
}
