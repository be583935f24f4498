import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fitPlatt } from "../dev/benchmark/calibration.js";
import { type CandidateSpec, crossValidateCandidate, trainingSet } from "../dev/benchmark/candidates.js";
import {
  type BenchmarkResult,
  DEFAULT_BENCHMARK,
  DEFAULT_CANDIDATES,
  runBenchmark,
  writeBenchmark,
} from "../dev/benchmark/run.js";
import { NEGATIVE_CATEGORIES } from "../dev/benchmark/types.js";
import { YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { REASONS } from "../events.js";
import { loadCryHeads } from "../inference/analyzer.js";
import { HEADS_MANIFEST_FORMAT, HEADS_MANIFEST_VERSION } from "../inference/heads.js";
import type { CryHeads } from "../inference/types.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "../inference/yamnet.js";
import { PROJECT_ROOT } from "../version.js";
import { evidenceModelCard } from "./evidence-card.js";
import { evidenceHeadModel, fitEvidenceHead, yamnetClassifier } from "./evidence-head.js";
import { saveQuantizedModel } from "./export.js";
import { type HeldOut, heldOutSources } from "./held-out.js";
import { BENCHMARK_HEADING, shipVerdict, withBenchmarkSection } from "./ship-rule.js";

/**
 * `npm run train-export` (the default since issue 14): the leave-source-out benchmark over ../shared/data and
 * ../shared/more-data (src/dev/benchmark/), then the evidence head trained on every source except a few held out
 * for the daemon's tests, Platt-scaled on the benchmark's out-of-fold logits, with the operating point the
 * benchmark chose; written to models/<name>/ with its manifest and model card, and a run folder with the tables.
 */

export interface EvidenceExportOptions {
  name: string;
  /** export folder, or null to evaluate only */
  outDir: string | null;
  runsDir: string;
  yamnetDir?: string;
  /** heads to compare against (those shipped so far), scored on the benchmark */
  compareDir: string | null;
  budgetPerHour: number;
  bootstrapReps: number;
  k: number;
  candidates?: CandidateSpec[];
  command: string;
  log: (line: string) => void;
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

export interface EvidenceExportResult {
  benchmark: BenchmarkResult;
  shipped: boolean;
  runDir: string;
  heldOut: HeldOut;
  seconds: number;
}

export async function runEvidenceExport(o: EvidenceExportOptions): Promise<EvidenceExportResult> {
  const t0 = performance.now();
  const yamnetDir = o.yamnetDir ?? DEFAULT_YAMNET_DIR;
  const yamnet = await YamnetModel.load(yamnetDir, { backend: "wasm", log: o.log });
  const classifier = yamnetClassifier(yamnetDir);
  let shipped: { heads: CryHeads; point: { threshold: number; onsetN: number; onsetStrong: number } } | null =
    null;
  if (o.compareDir) {
    try {
      const heads = await loadCryHeads(o.compareDir, yamnet.manifest.source.sha256);
      const t = heads.thresholds ?? {};
      shipped = {
        heads,
        point: { threshold: t.episode ?? 0.75, onsetN: t.onsetN ?? 4, onsetStrong: t.onsetStrong ?? 1 },
      };
    } catch (err) {
      o.log(`no heads to compare with in ${o.compareDir}: ${(err as Error).message}`);
    }
  }
  const candidates = o.candidates ?? DEFAULT_CANDIDATES;
  const run = await runBenchmark({
    ...DEFAULT_BENCHMARK,
    k: o.k,
    budgetPerHour: o.budgetPerHour,
    bootstrapReps: o.bootstrapReps,
    yamnet,
    classifier,
    shipped,
    candidates,
    log: o.log,
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = join(o.runsDir, `${stamp}-evidence`);
  const benchmark = run.result;
  writeBenchmark(benchmark, runDir);
  const data = run.data;
  const heldOut = heldOutSources(data.clips);
  const spec = candidates[0];
  const chosen = benchmark.results.find((r) => r.name === spec.name)!;
  o.log(`final ${spec.name}: training on every source but ${heldOut.sources.length} held out for the tests`);
  // Platt scaling from the benchmark's out-of-fold logits of the same recipe (each fold's model never heard it)
  const cv =
    run.candidateFolds.get(spec.name) ?? crossValidateCandidate(spec, data.features, classifier, o.log);
  const z: number[] = [];
  const y: number[] = [];
  for (const k of data.features.keys()) {
    const labels = run.calibrationLabels[k];
    for (const [m, i] of labels.keep.entries()) {
      z.push(cv[k].logits[i]);
      y.push(labels.labels[m]);
    }
  }
  const platt = fitPlatt(z, y);
  const set = trainingSet(data.features, spec, classifier, new Set(heldOut.sources));
  const weights = fitEvidenceHead(set, spec.head);
  const version = `${new Date().toISOString().slice(0, 10)}-${gitCommit().slice(0, 7)}`;
  const reasonCounts = REASONS.map(
    (r) => data.clips.filter((c) => c.kind === "cry" && c.rel.includes(`/donateacry/${r}/`)).length,
  );
  const totalCries = reasonCounts.reduce((a, b) => a + b, 0);
  const point = chosen.pooledPoint;
  const manifest = {
    format: HEADS_MANIFEST_FORMAT,
    formatVersion: HEADS_MANIFEST_VERSION,
    name: o.name,
    version,
    labels: {
      reasons: [...REASONS],
      nonCry: [...NEGATIVE_CATEGORIES],
    },
    yamnet: { sourceSha256: yamnet.manifest.source.sha256, sourceFile: "yamnet-frames-dynamic-int8.tflite" },
    frontend: { ...YAMNET_FRONTEND },
    bandLimitHz: 0,
    heads: { fc: ["fc"] },
    combination: {
      cry: { fcWeight: 1, scale: platt.scale, bias: platt.bias },
      // the reason output is a zero layer: the probabilities are the training labels' frequencies (see the card)
      reason: {
        fcWeight: 1,
        temperature: 1000,
        bias: reasonCounts.map((c) => Math.log(Math.max(1, c) / totalCries)),
      },
    },
    thresholds: {
      cry: 0.5,
      unsure: 1,
      episode: point.threshold,
      onsetN: point.onsetN,
      onsetStrong: point.onsetStrong,
    },
    trainedOn: `every source of ../shared/data and ../shared/more-data except the held-out ones (heldOut), ${set.labels.length} windows of the benchmark streams in two bandwidths`,
    heldOut,
    benchmark: {
      command: "npx tsx scripts/eval-detection.ts (and npm run train-export)",
      budgetPerHour: o.budgetPerHour,
      folds: benchmark.folds.map(({ sources, ...f }) => ({ ...f, sources: sources.length })),
      results: benchmark.results.map((r) => ({
        name: r.name,
        crossFitted: {
          recall: r.crossFitted.recall,
          falsePerHour: r.crossFitted.falsePerHour,
          latencyMedianSec: r.crossFitted.latencyMedianSec,
          latencyP95Sec: r.crossFitted.latencyP95Sec,
          byCategory: Object.fromEntries(
            Object.entries(r.crossFitted.byCategory).map(([c, v]) => [c, v.perHour.value]),
          ),
        },
        pooledPoint: r.pooledPoint,
        ece: r.ece,
      })),
    },
    training: {
      command: o.command,
      gitCommit: gitCommit(),
      date: new Date().toISOString(),
      seconds: 0,
      head: spec.head,
      bands: spec.bands,
      files: Object.entries(
        Object.assign({}, ...data.features.map((f) => f.info.inputs)) as Record<string, string>,
      )
        .sort()
        .map(([file, sha256]) => ({ file, sha256 })),
    },
  };
  manifest.training.seconds = Math.round((performance.now() - t0) / 1000);
  const card = evidenceModelCard(manifest, benchmark, spec);
  const verdict = shipVerdict(
    chosen,
    benchmark.results.filter((r) => !candidates.some((c) => c.name === r.name)),
    o.budgetPerHour,
  );
  o.log(`${verdict.ship ? "ships" : "does not ship"}: ${verdict.why}`);
  if (o.outDir && verdict.ship) {
    rmSync(o.outDir, { recursive: true, force: true });
    mkdirSync(o.outDir, { recursive: true });
    const model = evidenceHeadModel(classifier, weights, REASONS.length);
    await saveQuantizedModel(model, join(o.outDir, "fc"));
    model.dispose();
    writeFileSync(join(o.outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(o.outDir, "model-card.md"), card);
    o.log(`exported ${o.name}@${version} to ${o.outDir}`);
  } else if (o.outDir && existsSync(join(o.outDir, "model-card.md"))) {
    // the heads in place stay; their card gets the benchmark they were measured on, and why nothing replaced them
    const section = `${BENCHMARK_HEADING}\n\nMeasured by \`${o.command}\` on ${new Date().toISOString().slice(0, 10)} (also \`npx tsx scripts/eval-detection.ts\`); the candidate was not shipped: ${verdict.why}. The candidates' model card and manifest are in the run folder (\`runs/\`).\n\n${benchmark.markdown}\n`;
    const cardFile = join(o.outDir, "model-card.md");
    writeFileSync(cardFile, withBenchmarkSection(readFileSync(cardFile, "utf8"), section));
    o.log(`kept the heads in ${o.outDir}; the benchmark is in their model card`);
  }
  writeFileSync(join(runDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(runDir, "model-card.md"), card);
  yamnet.dispose();
  shipped?.heads.dispose?.();
  return { benchmark, shipped: verdict.ship, runDir, heldOut, seconds: (performance.now() - t0) / 1000 };
}
