import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { PATCH_SIZE } from "../../dsp/frontend-params.js";
import { activeBackend, type BackendName } from "../../inference/backend.js";
import { registerWasmGradientKernels, WASM_GRADIENT_KERNELS } from "../../inference/wasm-grad/index.js";
import { ARCH_RECIPES, type ArchName } from "../archs/index.js";
import { HeadFitter } from "../head-fitter.js";
import { RunProgress } from "../progress.js";
import { collectClips, groupCount } from "../stages/data.js";
import { extractFeatures } from "../stages/features.js";
import { evaluationBasis, splitClips } from "../stages/splits.js";
import type { AugCopy } from "../types.js";
import { writeArchReports } from "./arch-report.js";
import { protocolFor, secondsPerTrainingPatch, withEpochSize } from "./budget.js";
import { writeComparison } from "./comparison.js";
import { epochTiming, type TimedBackend } from "./epoch-timing.js";
import { evaluateArch } from "./evaluate-arch.js";
import { exportArch } from "./export-arch.js";
import { patchArchFitter, yamnetHeadFitter } from "./fitters.js";
import { extractPatches, PatchStore } from "./patches.js";
import { recipeText } from "./recipe-text.js";
import type {
  ArchFitter,
  ArchProtocol,
  ArchResult,
  CompareArch,
  CompareOptions,
  EpochTiming,
} from "./types.js";
import { isPatchArch } from "./types.js";

export interface CompareResult {
  runDir: string;
  results: ArchResult[];
  exports: Record<string, string>;
  seconds: number;
}

/**
 * The backend timing: an epoch of 256 patches of the first patch arch at width ×0.25 (the cpu backend is ~100×
 * slower at conv gradients here: a full-width model would take it most of the run's budget); wasm timed on 2
 * batches of 32, cpu on one batch of 2 (smoke: fewer).
 */
const TIMING = {
  epochPatches: 256,
  width: 0.25,
  full: { batchSize: 32, batches: 2, cpuBatchSize: 2 },
  smoke: { batchSize: 4, batches: 1, cpuBatchSize: 1 },
};

/**
 * `npm run train-export -- --arch NAME[,NAME…]`: every arch on the same clips, grouped CV folds, augmented
 * copies and outputs — the YAMNet heads on YAMNet's features, the patch archs on the log-mel patches behind
 * them — with each arch's report files in <run>/<arch>/, comparison.md + .json in the run folder (rewritten
 * after every arch, so a run cut short keeps what it finished), and the archs of `--export-arch` exported.
 */
export async function runComparison(o: CompareOptions): Promise<CompareResult> {
  const t0 = performance.now();
  const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
  const runDir = join(o.runsDir, `${stamp}-compare${o.smoke ? "-smoke" : ""}`);
  mkdirSync(runDir, { recursive: true });
  o.log(`Run folder: ${runDir}`);
  const data = collectClips(o);
  const { clips } = data;
  const splits = splitClips(clips, o);
  const progress = new RunProgress(o.progress);
  const features = await extractFeatures(data, splits, o, progress);
  progress.stop();
  const backend: BackendName = activeBackend()?.name ?? "cpu";
  prepareTraining(backend, o.log);
  const basis = evaluationBasis(clips, splits.trainDev);
  const headFitter = new HeadFitter(clips, features.mapShape, o, new RunProgress(false));

  const store = new PatchStore(o.cacheDir ? join(dirname(o.cacheDir), "logmel-patches") : null);
  if ([...o.archs, ...o.exportArchs].some(isPatchArch)) {
    const seeds = Math.max(o.seeds, o.mnv3Seeds);
    const copies = new Set<AugCopy>();
    for (let s = 0; s < seeds; s++) for (const a of features.copiesFor(s) ?? []) copies.add(a);
    await extractPatches(store, clips, [...copies], o);
  }
  const yamnetMs = yamnetMsPerPatch(features.yamnet);
  const protocols = new Map<CompareArch, ArchProtocol>();
  const fitterOf = (arch: CompareArch): ArchFitter =>
    isPatchArch(arch)
      ? patchArchFitter(arch, clips, store, () => protocols.get(arch)!, o.log)
      : yamnetHeadFitter(arch, headFitter, features.mapShape);

  /** What evaluating or exporting `arch` starts from: its fitter, its protocol (measured once), recipe and data. */
  const setUp = async (arch: CompareArch, fitter: ArchFitter) => {
    if (!protocols.has(arch)) {
      protocols.set(arch, protocolFor(arch, o));
      protocols.set(arch, await measuredProtocol(arch, fitter, o));
    }
    return { fitter, protocol: protocols.get(arch)!, recipe: recipeText(arch), clips, splits, features };
  };
  const results: ArchResult[] = [];
  const epochTimings: EpochTiming[] = [];
  const write = (pending: string[]) =>
    writeComparison({
      runDir,
      command: o.command,
      data: o.data,
      clips: features.usable.size,
      groups: groupCount(clips),
      budgetMinutes: o.budgetMinutes,
      smoke: o.smoke,
      results,
      epochTimings,
      pending,
      seconds: (performance.now() - t0) / 1000,
    });
  // first, so that a run cut short by its budget has it too
  const timedArch = o.archs.find(isPatchArch);
  if (timedArch) {
    const narrow = { ...protocolFor(timedArch, o), width: TIMING.width };
    const t = o.smoke ? TIMING.smoke : TIMING.full;
    const timed: TimedBackend[] = [
      ...(backend === "cpu" ? [] : [{ backend, batchSize: t.batchSize, batches: t.batches }]),
      { backend: "cpu", batchSize: t.cpuBatchSize, batches: 1 },
    ];
    const fitter = patchArchFitter(timedArch, clips, store, () => narrow, o.log);
    epochTimings.push({
      ...(await epochTiming(fitter, TIMING.epochPatches, timed, backend, o.log)),
      width: TIMING.width,
    });
  }
  for (const [k, arch] of o.archs.entries()) {
    o.log(`=== ${arch} (${k + 1}/${o.archs.length}) ===`);
    const fitter = fitterOf(arch);
    const evaluation = await evaluateArch({
      ...(await setUp(arch, fitter)),
      basis,
      frontMsPerPatch: isPatchArch(arch) ? 0 : yamnetMs,
      paramsNote: isPatchArch(arch)
        ? ""
        : "the head alone; YAMNet in front of it (3.7 M parameters, frozen) is left out, its time per patch is in the inference column",
      o,
    });
    results.push(evaluation.result);
    await writeArchReports(join(runDir, arch), evaluation, clips);
    write(o.archs.slice(k + 1));
    o.log(
      `  ${arch}: reason macro-F1 ${evaluation.result.cvPooled.reason.macroF1.toFixed(3)}, cry AUC ${evaluation.result.cvPooled.cryPatchAuc.toFixed(4)}, ${evaluation.result.trainSeconds.toFixed(0)} s`,
    );
  }
  const exports: Record<string, string> = {};
  for (const arch of o.exportArchs) {
    const outDir = join(o.exportRoot ?? join(runDir, "export"), arch);
    exports[arch] = await exportArch({ ...(await setUp(arch, fitterOf(arch))), outDir, o });
  }
  write([]);
  features.yamnet.dispose();
  return { runDir, results, exports, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The arch's protocol, its epoch size set from a throughput probe when it trains under the time budget (the
 * fitter builds with the unmeasured protocol, which must be in place).
 */
async function measuredProtocol(
  arch: CompareArch,
  fitter: ArchFitter,
  o: CompareOptions,
): Promise<ArchProtocol> {
  const p = protocolFor(arch, o);
  if (!isPatchArch(arch) || !Number.isFinite(p.fitSeconds)) return p;
  const batch = ARCH_RECIPES[arch as ArchName].batchSize;
  const model = fitter.build(o.seed);
  const spp = await secondsPerTrainingPatch(model, fitter.inputShape, batch);
  model.dispose();
  return withEpochSize(p, spp, batch);
}

/** Median ms of YAMNet on one patch (what runs in front of its heads in the daemon), after a warm-up. */
function yamnetMsPerPatch(yamnet: { predict: (p: Float32Array[]) => unknown }, reps = 15): number {
  const patch = new Float32Array(PATCH_SIZE).fill(-3);
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    yamnet.predict([patch]);
    if (i >= 2) times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

/** Training on wasm needs the gradient kernels it lacks (src/inference/wasm-grad/). */
function prepareTraining(backend: BackendName, log: (line: string) => void): void {
  if (backend === "wasm") {
    registerWasmGradientKernels();
    log(`Training on wasm with babymon's gradient kernels (${WASM_GRADIENT_KERNELS.join(", ")})`);
  }
  if (backend === "tensorflow") log("Training on tfjs-node (native TensorFlow): untested here");
}
