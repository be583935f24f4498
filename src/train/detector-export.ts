import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { CandidateSpec } from "../dev/benchmark/candidates.js";
import type { FoldFeatures } from "../dev/benchmark/features.js";
import { pointText } from "../dev/benchmark/report.js";
import {
  type BenchmarkResult,
  type BenchmarkRun,
  DEFAULT_BENCHMARK,
  DEFAULT_CANDIDATES,
  type DetectorCandidate,
  runBenchmark,
  writeBenchmark,
  YAMNET_CALIBRATED,
} from "../dev/benchmark/run.js";
import { scoredFold, yamnetWindowScores } from "../dev/benchmark/scores.js";
import type { SequenceCandidateSpec, SmoothingSpec } from "../dev/benchmark/temporal.js";
import { REASONS } from "../events.js";
import { loadCryHeads } from "../inference/analyzer.js";
import { loadClassMap } from "../inference/class-map.js";
import { readManifestJson } from "../inference/manifest-file.js";
import type { CryHeads } from "../inference/types.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "../inference/yamnet.js";
import { PROJECT_ROOT } from "../version.js";
import { TRANSFER_TOLERANCE } from "./calibration-transfer.js";
import {
  CONSTANT_REASONS_TOLERANCE,
  constantReasons,
  measureReasons,
  type ReasonsMeasurement,
} from "./constant-reasons.js";
import { type DetectorBlock, detectorBlock, shippedCalibration } from "./detector-block.js";
import { yamnetClassifier } from "./evidence-head.js";
import { saveQuantizedModel } from "./export.js";
import { finalClasses } from "./final-classes.js";
import { finalSequence } from "./final-sequence.js";
import type { HeldOut } from "./held-out.js";
import { sequenceLayersModel } from "./sequence-model.js";
import { BENCHMARK_HEADING, firstTransferable, rankDetectors, withBenchmarkSection } from "./ship-rule.js";

/**
 * `npm run train-export` (the default since issue 14): the leave-source-out benchmark over ../shared/data and
 * ../shared/more-data (src/dev/benchmark/), then the ship rule picks the daemon's detector — a temporal model when
 * one beats YAMNet's own score within the false-alarm budget, else YAMNet's own score — and writes its `detector`
 * block (calibration and point from the benchmark's out-of-fold scores, held-out sources left out) into the
 * manifest of models/<name>/, the temporal model (retrained on every source but the held-out ones) beside it, and
 * the benchmark into the model card. The heads in that folder stay as they are (they give the reason).
 */

export interface DetectorExportOptions {
  name: string;
  /** the heads folder whose manifest gets the detector block, or null to evaluate only */
  outDir: string | null;
  runsDir: string;
  yamnetDir?: string;
  /** heads to compare against (those shipped so far), scored on the benchmark */
  compareDir: string | null;
  budgetPerHour: number;
  bootstrapReps: number;
  k: number;
  /** worker threads for the benchmark's uncached features (default: the machine's cores) */
  featureThreads?: number;
  candidates?: CandidateSpec[];
  sequenceCandidates?: SequenceCandidateSpec[];
  smoothing?: SmoothingSpec[];
  command: string;
  log: (line: string) => void;
}

export interface DetectorExportResult {
  benchmark: BenchmarkResult;
  detector: DetectorBlock;
  why: string;
  runDir: string;
  heldOut: HeldOut;
  seconds: number;
}

export const SEQUENCE_DIR = "sequence";

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

async function comparedHeads(o: DetectorExportOptions, yamnetSha: string) {
  if (!o.compareDir) return null;
  try {
    const heads: CryHeads = await loadCryHeads(o.compareDir, yamnetSha);
    const t = heads.thresholds ?? {};
    return {
      heads,
      dir: o.compareDir,
      point: { threshold: t.episode ?? 0.75, onsetN: t.onsetN ?? 4, onsetStrong: t.onsetStrong ?? 1 },
    };
  } catch (err) {
    o.log(`no heads to compare with in ${o.compareDir}: ${(err as Error).message}`);
    return null;
  }
}

/**
 * The measured reasons of the heads the detector block goes beside, when they are the same for every window; null
 * when they differ, or when the heads scored on the benchmark are not the ones in the export folder.
 */
function reasonsOfExportedHeads(
  o: DetectorExportOptions,
  features: FoldFeatures[],
): ReasonsMeasurement | null {
  const m = measureReasons(features);
  if (!m) return null;
  const text = `the heads' reason probabilities over the benchmark's ${m.windows} windows: mean ${REASONS.map((r) => `${r} ${m.probabilities[r].toFixed(3)}`).join(", ")}, differing from it by at most ${m.maxDeviation}`;
  const exported = o.outDir ? headsVersionIn(o.outDir) : null;
  if (exported !== m.headsVersion) {
    o.log(`${text} (${m.headsVersion}; the export folder holds ${exported ?? "no heads"}: not written)`);
    return null;
  }
  const constant = constantReasons(m);
  o.log(
    `${text}: ${constant ? `the same for every window (≤ ${CONSTANT_REASONS_TOLERANCE}); written as detector.reasons, so the daemon gives them without running the heads` : `they depend on the sound (> ${CONSTANT_REASONS_TOLERANCE}); the daemon runs the heads`}`,
  );
  return constant;
}

const MATCHED_BANDWIDTH = `a cry
that exists only as its 8 kHz clip is heard with its surroundings band-limited to 4 kHz, as is the same share of the fold's
negative stretches (so bandwidth tells nothing); `;

function headsVersionIn(dir: string): string | null {
  try {
    const m = readManifestJson(dir) as { name?: unknown; version?: unknown };
    return typeof m.name === "string" && typeof m.version === "string" ? `${m.name}@${m.version}` : null;
  } catch {
    return null;
  }
}

/** The ship rule over the run: the candidates that pass, best first, and every verdict in words. */
function decide(run: BenchmarkRun, budget: number) {
  const results = run.result.results;
  const byName = (n: string) => results.find((r) => r.name === n);
  const runnable = run.detectorCandidates.filter((c) => c.source !== "yamnet").map((c) => byName(c.name)!);
  const baselines = ["YAMNet alone", YAMNET_CALIBRATED, "heads shipped before"]
    .map(byName)
    .filter((r) => r !== undefined);
  const { ranked, verdicts } = rankDetectors(runnable, baselines, budget);
  const why = verdicts.map((v) => `${v.name}: ${v.ship ? "passes" : "fails"} (${v.why})`).join("; ");
  return {
    ranked: ranked.map((r) => run.detectorCandidates.find((c) => c.name === r.name)!),
    why: why || "no candidate",
  };
}

export async function runDetectorExport(o: DetectorExportOptions): Promise<DetectorExportResult> {
  const t0 = performance.now();
  const yamnetDir = o.yamnetDir ?? DEFAULT_YAMNET_DIR;
  const yamnet = await YamnetModel.load(yamnetDir, { backend: "wasm", log: o.log });
  const classifier = yamnetClassifier(yamnetDir);
  const shipped = await comparedHeads(o, yamnet.manifest.source.sha256);
  const run = await runBenchmark({
    ...DEFAULT_BENCHMARK,
    k: o.k,
    ...(o.featureThreads ? { featureThreads: o.featureThreads } : {}),
    budgetPerHour: o.budgetPerHour,
    bootstrapReps: o.bootstrapReps,
    yamnet,
    classifier,
    shipped,
    // the evidence MLP (0.02 recall at 1.81 false episodes/h on this benchmark, 2026-12-02) stays in eval-detection
    candidates: o.candidates ?? DEFAULT_CANDIDATES.filter((c) => c.head.activation === "linear"),
    sequenceCandidates: o.sequenceCandidates ?? DEFAULT_BENCHMARK.sequenceCandidates,
    smoothing: o.smoothing ?? DEFAULT_BENCHMARK.smoothing,
    log: o.log,
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = join(o.runsDir, `${stamp}-detector`);
  writeBenchmark(run.result, runDir);
  const { data } = run;
  const { heldOut } = run;
  const held = new Set(heldOut.sources);
  const full = data.features.map((f) => yamnetWindowScores(yamnet, f, "full"));
  /** A candidate's calibration and point (from its out-of-fold logits) and, retrained on every source, its model. */
  const build = (c: DetectorCandidate | null) => {
    const result = run.result.results.find((r) => r.name === (c?.name ?? YAMNET_CALIBRATED))!;
    const outOfFold = run.outOfFoldLogits.get(result.name)!;
    const calibration = shippedCalibration(
      outOfFold,
      data.features,
      run.calibrationLabels,
      (k, p) => scoredFold(data.features[k], p, full[k]),
      held,
      o.budgetPerHour,
    );
    const final = c?.head
      ? finalClasses({
          head: c.head,
          features: data.features,
          classifier,
          held,
          folds: run.candidateFolds.get(c.name) ?? [],
          outOfFold,
          calibration,
          log: o.log,
        })
      : null;
    const finalSeq =
      c?.spec && run.pool
        ? finalSequence({
            spec: c.spec,
            pool: run.pool,
            folds: data.features.map((f) => f.info.fold),
            held,
            outOfFold,
            calibration,
            log: o.log,
          })
        : null;
    return { result, calibration, final, finalSeq, transfer: final?.transfer ?? finalSeq?.transfer };
  };
  const decision = decide(run, o.budgetPerHour);
  const { chosen, rejected } = firstTransferable(decision.ranked, build);
  const candidate = chosen?.candidate ?? null;
  const { result, calibration, final, finalSeq, transfer } = chosen?.built ?? build(null);
  const why = [decision.why, ...rejected].join("; ");
  o.log(`detector: "${result.name}"${candidate ? "" : " (no candidate passed and transferred)"}; ${why}`);
  const spec = candidate?.spec ?? null;
  const reasons = reasonsOfExportedHeads(o, data.features);
  const detector = detectorBlock(
    candidate?.source ?? "yamnet",
    calibration,
    result,
    heldOut,
    basename(runDir),
    {
      ...(spec ? { sequence: { dir: SEQUENCE_DIR, windows: spec.recipe.model.windows } } : {}),
      ...(final ? { classes: final.classes } : {}),
      ...(transfer ? { transfer } : {}),
      reasons,
    },
  );
  writeFileSync(join(runDir, "detector.json"), `${JSON.stringify(detector, null, 2)}\n`);
  const card = cardSection(detector, result.name, why, run.result, o.command);
  writeFileSync(join(runDir, "model-card-section.md"), `${card}\n`);
  if (o.outDir) {
    const manifestFile = join(o.outDir, "manifest.json");
    if (!existsSync(manifestFile))
      throw new Error(
        `${manifestFile}: no heads manifest to add the detector block to (the heads give the reason)`,
      );
    const seqDir = join(o.outDir, SEQUENCE_DIR);
    rmSync(seqDir, { recursive: true, force: true });
    if (finalSeq) {
      const model = sequenceLayersModel(finalSeq.weights);
      await saveQuantizedModel(model, seqDir, { quantize: false });
      model.dispose();
      o.log(`wrote the temporal model to ${seqDir}`);
    }
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    manifest.detector = detector;
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    const cardFile = join(o.outDir, "model-card.md");
    const old = existsSync(cardFile) ? readFileSync(cardFile, "utf8") : `# ${o.name}\n`;
    writeFileSync(cardFile, withBenchmarkSection(old, card));
    o.log(`wrote the detector block to ${manifestFile} and the benchmark into ${cardFile}`);
  }
  yamnet.dispose();
  shipped?.heads.dispose?.();
  return { benchmark: run.result, detector, why, runDir, heldOut, seconds: (performance.now() - t0) / 1000 };
}

/** The retrained model against the fold models its calibration was fitted on (calibration-transfer.ts). */
function transferText(d: DetectorBlock): string {
  const t = d.benchmark.transfer;
  if (!t) return "";
  return ` The shipped model, retrained on every fold, against the fold models its calibration and point were fitted on, on all
${t.windows} benchmark windows calibrated alike: their probabilities differ by ${t.meanAbsDiff} on average (tolerance ${TRANSFER_TOLERANCE}), and
${(100 * t.crossings).toFixed(2)} % of the windows are over the threshold for one and not the other.`;
}

/** What the detector's raw logit z is, in words (with the weights of a `classes` detector). */
function rawLogitText(d: DetectorBlock): string {
  if (d.source === "yamnet") return "logit of YAMNet's cry score";
  if (d.source === "sequence") return "the model's cry logit";
  const c = d.classes!;
  const names = loadClassMap().names;
  const terms =
    c.indices.length <= 8
      ? c.indices.map((k, i) => `${c.weights[i]} · ℓ${k}`).join(" + ")
      : `Σ wᵢ · ℓᵢ over ${c.indices.length} classes`;
  return `${terms} + ${c.bias}, ℓₖ = YAMNet's logit of class k (${c.indices.length <= 8 ? c.indices.map((k) => names[k] ?? k).join(", ") : "manifest `detector.classes`"}), the weights retrained on every source but the held-out ones`;
}

/** The model card's benchmark section: what the daemon detects with, why, and the tables it was chosen on. */
export function cardSection(
  d: DetectorBlock,
  chosen: string,
  why: string,
  b: BenchmarkResult,
  command: string,
): string {
  const held = Object.entries(d.heldOut)
    .map(([k, v]) => `${v.length} ${k}`)
    .join(", ");
  return `${BENCHMARK_HEADING}

Measured and written by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (commit ${gitCommit().slice(0, 7)}; the benchmark alone:
\`npx tsx scripts/eval-detection.ts\`). ${b.options.k} folds over sources (each speaker, each ESC-50 class, the toddler, the
nursery folder, the laugh recording, each Donate-a-Cry family), one stream per fold (${b.folds.map((f) => `${(f.durationSec / 60).toFixed(0)} min`).join(", ")}); ${b.options.stream.matchCryBandwidth ? MATCHED_BANDWIDTH : ""}every candidate trained per fold without that fold's sources and, like the shipped model, without the held-out ones; scored through the daemon's
episode logic.

**The daemon's detector** (manifest \`detector\`, written by this export): **${chosen}** (\`source: ${d.source}\`${d.sequence ? `, model in \`${d.sequence.dir}/\`, ${d.sequence.windows} windows of YAMNet's class logits` : ""}).
Probability = sigmoid(${d.calibration.a} · z + ${d.calibration.b}), z = ${rawLogitText(d)}; point ${pointText(d.point)} —
both from the benchmark's out-of-fold scores with the held-out sources left out (${held} clips in \`detector.heldOut\`,
never trained on${d.source === "yamnet" ? "" : " by the shipped model"}). Figures of record (cross-fitted): recall ${d.benchmark.recall}, ${d.benchmark.falsePerHour} false
episodes/h, latency p95 ${d.benchmark.latencyP95Sec} s, ECE ${d.benchmark.ece}.${transferText(d)}
${
  d.reasons
    ? `
**Reasons** (manifest \`detector.reasons\`): the heads' reason probabilities are the same for every one of the benchmark's
${d.reasons.windows} windows (cries, every negative source, the background): ${REASONS.map((r) => `${r} ${d.reasons!.probabilities[r].toFixed(3)}`).join(", ")}, no window
differing by more than ${d.reasons.maxDeviation} (tolerance ${CONSTANT_REASONS_TOLERANCE}). They do not depend on the sound, so the daemon attaches these
numbers to every cry without loading the heads or running their band-limited YAMNet pass.
`
    : ""
}
Ship rule (src/train/ship-rule.ts: a candidate the daemon can run — a temporal model, or a linear combination of YAMNet's
class logits — ships only when it finds more cries than each of YAMNet's own score, raw and Platt-scaled, and the heads
shipped before, cross-fitted, at no more false episodes/h than that score or the budget of ${b.options.budgetPerHour}/h, whichever is higher, and
no fewer of the cries played from their 16 kHz originals — what the daemon's microphone hears; of those, the best ships
whose model, retrained on every source, the calibration fitted on the fold models still describes, within ${TRANSFER_TOLERANCE}): ${why}.

${b.markdown}
`;
}
