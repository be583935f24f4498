import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LAUGHTER_CLASSES } from "../../detection/veto.js";
import { YAMNET_CRY_CLASSES } from "../../dsp/frontend-params.js";
import type { CryHeads } from "../../inference/types.js";
import type { YamnetModel } from "../../inference/yamnet.js";
import { DEFAULT_EVIDENCE_HEAD, type YamnetClassifier } from "../../train/evidence-head.js";
import { type HeldOut, heldOutSources } from "../../train/held-out.js";
import { type LogitPool, logitPool, type PoolInput } from "../../train/sequence-data.js";
import { type CalibrationLabels, crossFittedPlatt } from "./calibration.js";
import {
  type CandidateFold,
  type CandidateSpec,
  crossValidateCandidate,
  FULL_BAND_ONLY,
} from "./candidates.js";
import { type BenchmarkData, benchmarkData } from "./data.js";
import { evaluateScore, type ScoreResult } from "./evaluate.js";
import type { FoldFeatures } from "./features.js";
import { hardNegativeFeatures } from "./hard-negatives.js";
import { LEFT_OUT, windowLabels } from "./labels.js";
import type { OperatingPoint } from "./operating-point.js";
import { benchmarkMarkdown } from "./report.js";
import { scoredFold, type YamnetWindowScores, yamnetWindowScores } from "./scores.js";
import { DEFAULT_STREAM, type StreamOptions } from "./streams.js";
import {
  crossValidateSequence,
  DEFAULT_SEQUENCE_CANDIDATES,
  DEFAULT_SMOOTHING,
  logitOf,
  type SequenceCandidateSpec,
  type SequenceFold,
  type SmoothingSpec,
  sequenceDescription,
  smoothed,
  smoothingName,
} from "./temporal.js";

/** YAMNet's cry classes (19–21, the daemon's cry score) and "Wail, moan" (22) */
const CRY_AND_WAIL = [...YAMNET_CRY_CLASSES, 22];
/** AudioSet classes of what the benchmark's false alarms are, picked by name, not fitted */
const SPEECH_AND_SHOUTS = [0, 1, 2, 3, 4, 6, 8, 9, 10, 11, 12];
const SINGING = [24, 29, 32];
/** animals, dogs, cats (67, 69, 76–80) */
const ANIMALS = [67, 69, 76, 77, 78, 79, 80];
/** music, lullaby, white and pink noise */
const MUSIC_AND_NOISE = [132, 266, 514, 515];
const RIVAL_CLASSES = [...SPEECH_AND_SHOUTS, ...LAUGHTER_CLASSES, ...SINGING, ...ANIMALS, ...MUSIC_AND_NOISE];

/**
 * A linear combination of YAMNet's class logits (all 521, or `classes`), one band per training window, fitted to
 * convergence: with the MLP's 8 epochs at 3e-3 the weights were still growing, so where a model stopped decided its
 * ranking (2026-12-03, the cry-class head: 157 cries at 8 epochs, 133 at 32, 109 at 96); at 32 epochs and 1e-2 the
 * fold models' weights match those of 96 epochs at 3e-3 within 0.01.
 */
function linearLogits(name: string, classes?: readonly number[]): CandidateSpec {
  return {
    name,
    bands: ["full", "limited"],
    head: {
      ...DEFAULT_EVIDENCE_HEAD,
      epochs: 32,
      learningRate: 1e-2,
      hidden: 4,
      activation: "linear",
      embedding: false,
      ...(classes ? { classes } : {}),
    },
    backgroundEvery: 3,
    oneBandPerWindow: true,
  };
}

export const DEFAULT_CANDIDATES: CandidateSpec[] = [
  {
    name: "evidence MLP",
    bands: ["full", "limited"],
    head: DEFAULT_EVIDENCE_HEAD,
    backgroundEvery: 3,
    oneBandPerWindow: true,
  },
  linearLogits("YAMNet logits, linear"),
  { ...linearLogits("YAMNet logits, linear, full-band stretches"), fullBandOnly: true },
  linearLogits("YAMNet cry classes, linear", CRY_AND_WAIL),
  linearLogits("YAMNet cry + rival classes, linear", [...CRY_AND_WAIL, ...RIVAL_CLASSES]),
];

/** The daemon's defaults for YAMNet's own score (src/detection/episodes.ts SCORE_DEFAULTS, onsetN 4). */
export const YAMNET_DEFAULT_POINT: OperatingPoint = { threshold: 0.4, onsetN: 4, onsetStrong: 0.8 };

export interface BenchmarkOptions {
  k: number;
  foldSeed: number;
  stream: StreamOptions;
  hopSec: number;
  budgetPerHour: number;
  bootstrapReps: number;
  yamnet: YamnetModel;
  classifier: YamnetClassifier;
  /** the shipped heads and the operating point their manifest carries */
  shipped: { heads: CryHeads; dir: string; point: OperatingPoint } | null;
  /** worker threads for uncached fold features (default: the machine's cores) */
  featureThreads?: number;
  /** evidence heads (one window) */
  candidates: CandidateSpec[];
  /** temporal models */
  sequenceCandidates: SequenceCandidateSpec[];
  /** smoothing baselines of YAMNet's score */
  smoothing: SmoothingSpec[];
  /** only these folds (a quicker, smaller benchmark: sources of the other folds are in no figure) */
  onlyFolds?: readonly number[];
  log?: (line: string) => void;
}

export const YAMNET_CALIBRATED = "YAMNet, Platt-scaled";

export const DEFAULT_BENCHMARK = {
  sequenceCandidates: DEFAULT_SEQUENCE_CANDIDATES,
  smoothing: DEFAULT_SMOOTHING,
  k: 5,
  foldSeed: 1,
  stream: DEFAULT_STREAM,
  hopSec: 0.48,
  budgetPerHour: 1,
  bootstrapReps: 1000,
};

/** What the benchmark measured (written as benchmark.json). */
export interface BenchmarkResult {
  options: {
    k: number;
    foldSeed: number;
    stream: StreamOptions;
    hopSec: number;
    budgetPerHour: number;
    onlyFolds?: readonly number[];
  };
  folds: Array<{ fold: number; sources: string[]; durationSec: number; cries: number; windows: number }>;
  results: ScoreResult[];
  markdown: string;
}

/** A score the daemon can run as its `detector` (manifest `detector.source`), by benchmark result name. */
export interface DetectorCandidate {
  name: string;
  source: "yamnet" | "sequence" | "classes";
  spec?: SequenceCandidateSpec;
  /** for `classes`: the linear head over class logits */
  head?: CandidateSpec;
}

/** Whether the daemon can run the candidate as its `classes` detector: linear, over class logits only. */
const isClassCombination = (c: CandidateSpec) => c.head.activation === "linear" && !c.head.embedding;

/** The result, and what a caller (train-export) reuses of the run: the data and each candidate's fold models. */
export interface BenchmarkRun {
  result: BenchmarkResult;
  data: BenchmarkData;
  candidateFolds: Map<string, CandidateFold[]>;
  sequenceFolds: Map<string, SequenceFold[]>;
  /** every Platt-scaled score's out-of-fold logits, per fold, by result name */
  outOfFoldLogits: Map<string, Float32Array[]>;
  detectorCandidates: DetectorCandidate[];
  /** the benchmark folds' streams (and the hard negatives) as YAMNet logits, when a temporal model was trained */
  pool: LogitPool | null;
  calibrationLabels: CalibrationLabels[];
  /** the sources the shipped model is tested on: no fold model (and no shipped one) trains on them */
  heldOut: HeldOut;
}

/** Cry labels of the windows that count for calibration (crying or not; grazing windows left out). */
function calibrationLabels(f: FoldFeatures): CalibrationLabels {
  const keep: number[] = [];
  const labels: number[] = [];
  windowLabels(f.startSec, f.info.events, f.activity).forEach((l, i) => {
    if (l.label === LEFT_OUT) return;
    keep.push(i);
    labels.push(l.label);
  });
  return { keep, labels };
}

export async function runBenchmark(o: BenchmarkOptions): Promise<BenchmarkRun> {
  const data = await benchmarkData({
    ...o,
    heads: o.shipped?.heads ?? null,
    headsDir: o.shipped?.dir ?? null,
  });
  const evalOpts = { budgetPerHour: o.budgetPerHour, bootstrapReps: o.bootstrapReps };
  const full = data.features.map((f) => yamnetWindowScores(o.yamnet, f, "full"));
  const limited = data.features.map((f) => yamnetWindowScores(o.yamnet, f, "limited"));
  const results: ScoreResult[] = [];
  const candidateFolds = new Map<string, CandidateFold[]>();
  const cal = data.features.map(calibrationLabels);
  // no fold's model trains on the sources the shipped model is tested on, so the fold models (whose out-of-fold
  // logits give the shipped calibration) learn from the same kinds of sound as the shipped one, retrained without them
  const heldOut = heldOutSources(data.clips);
  const held = new Set(heldOut.sources);
  o.log?.("scoring YAMNet's own cry score");
  results.push(
    evaluateScore(
      "YAMNet alone",
      "YAMNet's own cry score (max of classes 19–21, full band), the daemon's `scoreSource: yamnet`; its default point is 0.4, 3 of 4, or one ≥ 0.8",
      data.features.map((f, k) => scoredFold(f, full[k].cry, full[k])),
      evalOpts,
      YAMNET_DEFAULT_POINT,
    ),
  );
  if (o.shipped) {
    o.log?.(`scoring the shipped heads ${o.shipped.heads.version}`);
    results.push(
      evaluateScore(
        "heads shipped before",
        `${o.shipped.heads.version} (5 FC + 5 MobileNetV3 over 4 kHz band-limited YAMNet features; trained on ../shared/data, so in-sample for its cries and household clips, out-of-sample for speech, toddler and nursery); manifest point given`,
        data.features.map((f, k) => scoredFold(f, f.headsCry!, limited[k])),
        evalOpts,
        o.shipped.point,
      ),
    );
  }
  const outOfFoldLogits = new Map<string, Float32Array[]>();
  /** a logit score Platt-scaled out of fold, through the episode logic, with its ECE */
  const scoreLogits = (name: string, description: string, logits: Float32Array[]): ScoreResult => {
    outOfFoldLogits.set(name, logits);
    const { probs, ece } = crossFittedPlatt(logits, cal);
    const r = evaluateScore(
      name,
      description,
      data.features.map((f, k) => scoredFold(f, probs[k], full[k])),
      evalOpts,
    );
    r.ece = ece;
    return r;
  };
  o.log?.("scoring YAMNet's own cry score, Platt-scaled, and its smoothings");
  results.push(
    scoreLogits(
      YAMNET_CALIBRATED,
      "YAMNet's own cry score (full band), Platt-scaled on the other folds (p = sigmoid(a·logit(score) + b)): the same ranking as YAMNet alone, a calibrated probability and a point chosen on it",
      full.map((s) => logitOf(s.cry)),
    ),
  );
  for (const sm of o.smoothing)
    results.push(
      scoreLogits(
        smoothingName(sm),
        `the ${sm.op} of YAMNet's own cry score over the last ${sm.windows} windows (${(sm.windows * 0.48).toFixed(1)} s), Platt-scaled on the other folds: the smoothing baseline a temporal model has to beat`,
        full.map((s: YamnetWindowScores) => logitOf(smoothed(s.cry, sm))),
      ),
    );
  for (const spec of o.candidates) {
    o.log?.(`training ${spec.name} per fold`);
    const cv = crossValidateCandidate(spec, data.features, o.classifier, o.log, held);
    candidateFolds.set(spec.name, cv);
    const { probs, ece } = crossFittedPlatt(
      cv.map((c) => c.logits),
      cal,
    );
    outOfFoldLogits.set(
      spec.name,
      cv.map((c) => c.logits),
    );
    const result = evaluateScore(
      spec.name,
      `${spec.head.activation === "relu" ? `dense head (${spec.head.hidden} ReLU units)` : "linear combination"} over [${spec.head.embedding ? "embedding ‖ " : ""}${spec.head.classes ? `${spec.head.classes.length} of YAMNet's class logits (${spec.head.classes.join(", ")})` : "YAMNet's 521 class logits"}] of one full-band YAMNet pass, trained per fold on the other folds' streams (each window once, full band or 4 kHz band-limited at random${spec.fullBandOnly ? FULL_BAND_ONLY : ""}), Platt-scaled on the other folds`,
      data.features.map((f, k) => scoredFold(f, probs[k], full[k])),
      evalOpts,
    );
    result.ece = ece;
    results.push(result);
  }
  const detectorCandidates: DetectorCandidate[] = [
    { name: YAMNET_CALIBRATED, source: "yamnet" },
    ...o.candidates
      .filter(isClassCombination)
      .map((c) => ({ name: c.name, source: "classes" as const, head: c })),
  ];
  let pool: LogitPool | null = null;
  const sequenceFolds = new Map<string, SequenceFold[]>();
  if (o.sequenceCandidates.length > 0) {
    const inputs: PoolInput[] = data.features.map((f) => ({
      id: `fold ${f.info.fold}`,
      fold: f.info.fold,
      fullEmbedding: f.fullEmbedding,
      limitedEmbedding: f.limitedEmbedding,
      labels: windowLabels(f.startSec, f.info.events, f.activity),
    }));
    if (o.sequenceCandidates.some((c) => c.recipe.hardNegatives))
      inputs.push(await hardNegativeFeatures(data.clips, { yamnet: o.yamnet, hopSec: o.hopSec, log: o.log }));
    pool = logitPool(inputs, o.classifier);
    const embeddings = o.sequenceCandidates.some((c) => c.recipe.input === "embedding")
      ? logitPool(inputs, null)
      : null;
    const foldIds = data.features.map((f) => f.info.fold);
    for (const spec of o.sequenceCandidates) {
      o.log?.(`training ${spec.name} per fold`);
      const onEmbeddings = spec.recipe.input === "embedding";
      const cv = crossValidateSequence(
        spec,
        onEmbeddings && embeddings ? embeddings : pool,
        foldIds,
        data.folds,
        o.log,
        held,
      );
      sequenceFolds.set(spec.name, cv);
      results.push(
        scoreLogits(
          spec.name,
          sequenceDescription(spec),
          cv.map((c) => c.logits),
        ),
      );
      // the daemon feeds a temporal model YAMNet's class logits only
      if (!onEmbeddings) detectorCandidates.push({ name: spec.name, source: "sequence", spec });
    }
  }
  const folds = data.features.map((f) => ({
    fold: f.info.fold,
    sources: [
      ...new Set(data.clips.filter((c) => data.folds.get(c.source) === f.info.fold).map((c) => c.source)),
    ].sort(),
    durationSec: f.info.durationSec,
    cries: f.info.events.filter((e) => e.kind === "cry").length,
    windows: f.windows,
  }));
  return {
    result: {
      options: {
        k: o.k,
        foldSeed: o.foldSeed,
        stream: o.stream,
        hopSec: o.hopSec,
        budgetPerHour: o.budgetPerHour,
        ...(o.onlyFolds ? { onlyFolds: o.onlyFolds } : {}),
      },
      folds,
      results,
      markdown: benchmarkMarkdown(results, o.budgetPerHour),
    },
    data,
    candidateFolds,
    sequenceFolds,
    outOfFoldLogits,
    detectorCandidates,
    pool,
    calibrationLabels: cal,
    heldOut,
  };
}

export function writeBenchmark(result: BenchmarkResult, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "benchmark.json");
  const markdown = join(dir, "benchmark.md");
  writeFileSync(json, `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(markdown, `${result.markdown}\n`);
  return { json, markdown };
}
