import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import cliProgress from "cli-progress";
import { readAudioFile16k } from "../audio/decode.js";
import { YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { REASONS } from "../events.js";
import type { BackendPreference } from "../inference/backend.js";
import {
  type Combination,
  ensembleDirs,
  HEADS_MANIFEST_FORMAT,
  HEADS_MANIFEST_VERSION,
  type HeadsManifest,
  YAMNET_CLASS_COUNT,
  yamnetLogitsInto,
} from "../inference/heads.js";
import { YamnetModel } from "../inference/yamnet.js";
import { PROJECT_ROOT } from "../version.js";
import { activeCryPatches, patchLevelsDb } from "./activity.js";
import {
  applyAugmentation,
  applyQuietLevel,
  copiesForTraining,
  planFoldAugmentations,
  planQuietCopies,
  QUIET_COPY_DBFS,
  type QuietCopiesOf,
  type QuietCopy,
  type WaveAugmentation,
} from "./augment.js";
import { chooseCombination, chooseThresholds, cryLogit, recalibrate, singleHead } from "./combination.js";
import {
  type ClipSource,
  countByLabel,
  DatasetError,
  discoverDataset,
  isCryLabel,
  TRAIN_LABELS,
  type TrainLabel,
} from "./dataset.js";
import {
  type ClipInfo,
  evaluateSet,
  predictEnsembleLogits,
  predictionsFrom,
  type SetMetrics,
  toHeadLogits,
} from "./evaluate.js";
import { applyQuantization, saveQuantizedModel } from "./export.js";
import { applyBandLimit, type ClipFeatures, FeatureExtractor, sha256Hex } from "./features.js";
import { FitCache, trainingCodeKey } from "./fit-cache.js";
import { meanStd } from "./metrics.js";
import type { HeadKind } from "./models.js";
import { mulberry32, shuffleInPlace } from "./random.js";
import { generateSilence, type SilenceSpec, silenceSpecs } from "./silence.js";
import { foldIndices, groupedHoldoutKeepingSingletons, groupedStratifiedFolds } from "./split.js";
import { chooseYamnetStack, type StackChoice, type StackFigures } from "./stack.js";
import {
  buildHead,
  DEFAULT_TRAIN_OPTIONS,
  type EpochRecord,
  type Logits,
  predictLogits,
  type Sample,
  type TrainedHead,
  type TrainOptions,
  trainHead,
} from "./trainer.js";

export interface TrainExportOptions {
  data: string;
  /** models/<name>/ to write (null: no export) */
  outDir: string | null;
  /** export into <run folder>/model instead (smoke runs) */
  exportIntoRun?: boolean;
  name: string;
  runsDir: string;
  cacheDir: string | null;
  yamnetDir?: string;
  backend: BackendPreference;
  smoke: boolean;
  folds: number;
  /** CV repetitions (different fold assignments) for the FC head */
  seeds: number;
  /** CV repetitions for the MobileNetV3 head (it costs ~5× the FC head) */
  mnv3Seeds: number;
  /** members of each exported head: trained alike from different seeds, their logits averaged */
  ensemble: number;
  testFraction: number;
  bandLimitHz: number;
  featureLayer: number;
  patchStride: number;
  silenceClips: number;
  /** one noise-mixed copy per training cry clip (re-runs YAMNet on it) */
  augment: boolean;
  /** …and per training household and laughter clip (needs `augment`) */
  augmentNegatives: boolean;
  /** one quiet copy (QUIET_COPY_DBFS) of training clips: none, household clips only, or every class alike */
  quietCopies: QuietCopiesOf | "none";
  leaky: boolean;
  /** let YAMNet's class logits join the cry logit when a second-level CV says they help (src/train/stack.ts) */
  yamnetStack: boolean;
  /** cry patches more than this many dB below their clip's loudest patch are not labelled cry (pauses, room
   * tone); 0 = every patch of a cry clip is a cry */
  cryActiveDb: number;
  seed: number;
  maxEpochs: number;
  mnv3MaxEpochs: number;
  mnv3SamplesPerEpoch: number;
  bootstrapReps: number;
  command: string;
  log: (line: string) => void;
  progress: boolean;
}

/** A clip of the run: a labelled file or a generated silence clip, with its features once extracted. */
export interface RunClip {
  id: number;
  relPath: string;
  path: string | null;
  label: TrainLabel;
  group: string;
  reason: number;
  isCry: boolean;
  sha256: string;
  silence: SilenceSpec | null;
  presplit?: "train" | "val" | "test";
  /** features under the band-limiting policy */
  feats?: ClipFeatures;
  /** negatives only: features of the full-band audio (bandwidth check) */
  featsFull?: ClipFeatures;
  /** cry clips: which patches hold crying (activeCryPatches); absent = all */
  active?: Uint8Array;
}

interface AugCopy {
  /** clip the copy was made from */
  clip: number;
  aug: WaveAugmentation | QuietCopy;
  feats: ClipFeatures;
  /** copies of cry clips: which patches hold crying */
  active?: Uint8Array;
}

export interface FoldResult {
  seed: number;
  fold: number;
  head: HeadKind | "combined";
  metrics: SetMetrics;
  bestEpoch?: number;
  epochs?: number;
}

export interface RunResult {
  runDir: string;
  outDir: string | null;
  seconds: number;
  metrics: Record<string, unknown>;
  manifest: HeadsManifest | null;
  skipped: Array<{ file: string; error: string }>;
}

const REASON_INDEX = new Map<string, number>(REASONS.map((r, i) => [r, i]));

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
}

/**
 * Marks which patches of every cry clip and of every augmented cry copy hold crying (src/train/activity.ts),
 * from the clean audio (a copy is the clip circularly shifted, so its quiet patches are the clip's, shifted).
 */
async function labelCryActivity(
  clips: RunClip[],
  copies: AugCopy[],
  audio16k: (c: RunClip) => Promise<Float32Array>,
  stride: number,
  withinDb: number,
  log: (line: string) => void,
): Promise<void> {
  const copiesOf = new Map<number, AugCopy[]>();
  for (const a of copies) if (clips[a.clip].isCry) copiesOf.set(a.clip, [...(copiesOf.get(a.clip) ?? []), a]);
  let kept = 0;
  let total = 0;
  for (const c of clips) {
    if (!c.isCry || !c.feats) continue;
    const audio = await audio16k(c);
    c.active = activeCryPatches(patchLevelsDb(audio, c.feats.patches, stride), withinDb);
    for (const v of c.active) kept += v;
    total += c.active.length;
    for (const a of copiesOf.get(c.id) ?? [])
      a.active = activeCryPatches(patchLevelsDb(audio, a.feats.patches, stride, a.aug.shift), withinDb);
  }
  log(
    `Cry labels: ${kept} of ${total} cry patches within ${withinDb} dB of their clip's loudest; the other ${total - kept} (pauses, room tone) are left out`,
  );
}

/** A tiny, fixed subset for `--smoke`: a few groups per label. */
function smokeSubset(clips: ClipSource[], seed: number): ClipSource[] {
  const rand = mulberry32(seed);
  const out: ClipSource[] = [];
  for (const label of TRAIN_LABELS) {
    const byGroup = new Map<string, ClipSource[]>();
    for (const c of clips.filter((c) => c.label === label)) {
      const list = byGroup.get(c.group) ?? [];
      list.push(c);
      byGroup.set(c.group, list);
    }
    const groups = shuffleInPlace([...byGroup.keys()].sort(), rand);
    const take = label === "hungry" || label === "noise" ? 6 : 3;
    for (const g of groups.slice(0, take)) out.push(...byGroup.get(g)!.slice(0, label === "laugh" ? 6 : 2));
  }
  return out;
}

export async function runTrainExport(o: TrainExportOptions): Promise<RunResult> {
  const t0 = performance.now();
  const runDir = join(o.runsDir, `${timestamp()}${o.smoke ? "-smoke" : ""}`);
  mkdirSync(runDir, { recursive: true });
  if (o.exportIntoRun) o = { ...o, outDir: join(runDir, "model") };
  const log = o.log;
  log(`Run folder: ${runDir}`);

  // ---- data -------------------------------------------------------------------------------------------
  const dataset = discoverDataset(o.data);
  let sources = dataset.clips;
  if (o.smoke) sources = smokeSubset(sources, o.seed);
  const skipped: Array<{ file: string; error: string }> = [];
  const clips: RunClip[] = [];
  for (const s of sources) {
    let sha: string;
    try {
      sha = sha256Hex(readFileSync(s.path));
    } catch (err) {
      skipped.push({ file: s.relPath, error: (err as Error).message });
      continue;
    }
    clips.push({
      id: clips.length,
      relPath: s.relPath,
      path: s.path,
      label: s.label,
      group: s.group,
      reason: REASON_INDEX.get(s.label) ?? -1,
      isCry: isCryLabel(s.label),
      sha256: sha,
      silence: null,
      presplit: s.presplit,
    });
  }
  for (const spec of silenceSpecs(o.silenceClips, o.seed)) {
    clips.push({
      id: clips.length,
      relPath: `generated/silence_${spec.index}_${spec.levelDbfs}dBFS`,
      path: null,
      label: "silence",
      group: `silence:${spec.index}`,
      reason: -1,
      isCry: false,
      sha256: sha256Hex(JSON.stringify(spec)),
      silence: spec,
    });
  }
  log(
    `Data: ${dataset.layout} layout, ${clips.length} clips (${JSON.stringify(countByLabel(clips))}), ${new Set(clips.map((c) => c.group)).size} groups`,
  );

  // ---- YAMNet + features --------------------------------------------------------------------------------
  const yamnet = await YamnetModel.load(o.yamnetDir, { backend: o.backend, log });
  const extractor = new FeatureExtractor(yamnet, {
    featureLayer: o.featureLayer,
    patchStride: o.patchStride,
    cacheDir: o.cacheDir,
  });
  const fitCache = new FitCache(
    o.cacheDir ? join(o.cacheDir, "fits") : null,
    trainingCodeKey(["trainer", "models", "../inference/head-layers"], import.meta.url),
  );
  const audio16k = async (c: RunClip): Promise<Float32Array> => {
    const samples = c.silence ? generateSilence(c.silence) : (await readAudioFile16k(c.path!)).samples;
    if (samples.length === 0) throw new Error(`${c.relPath}: no audio samples`);
    return samples;
  };
  const policy = o.bandLimitHz > 0 ? `bl${o.bandLimitHz}` : "full";
  /** YAMNet's class logits of each sample's patch (n × 521), from the cached embeddings */
  const yamnetLogitCache = new WeakMap<ClipFeatures, Float32Array>();
  const yamnetLogitsFor = (samples: Sample[]): Float32Array => {
    const out = new Float32Array(samples.length * YAMNET_CLASS_COUNT);
    samples.forEach((x, i) => {
      let logits = yamnetLogitCache.get(x.features);
      if (!logits) {
        const f = x.features;
        const scores = yamnet.scoresOfEmbeddings(f.embeddings, f.patches);
        logits = new Float32Array(scores.length);
        for (let p = 0; p < f.patches; p++)
          yamnetLogitsInto(scores.subarray(p * YAMNET_CLASS_COUNT), logits, p * YAMNET_CLASS_COUNT);
        yamnetLogitCache.set(f, logits);
      }
      out.set(
        logits.subarray(x.patch * YAMNET_CLASS_COUNT, (x.patch + 1) * YAMNET_CLASS_COUNT),
        i * YAMNET_CLASS_COUNT,
      );
    });
    return out;
  };

  // hold-out split and CV folds on clips (no features needed)
  const holdout = splitHoldout(clips, o);
  const trainDev = holdout.train;
  const testIds = holdout.heldOut;
  const foldsBySeed: number[][] = [];
  for (let s = 0; s < Math.max(o.seeds, o.mnv3Seeds); s++) {
    const f = groupedStratifiedFolds(
      trainDev.map((i) => ({ group: clips[i].group, label: clips[i].label })),
      o.folds,
      o.seed * 1000 + s,
    );
    const foldOf = new Map<number, number>();
    for (const [k, id] of trainDev.entries()) foldOf.set(id, f[k]);
    foldsBySeed.push(trainDev.map((id) => foldOf.get(id)!));
  }
  const foldOfClip = (s: number) => {
    const m = new Map<number, number>();
    for (const [k, id] of trainDev.entries()) m.set(id, foldsBySeed[s][k]);
    return m;
  };
  // augmentation plans, one per CV seed: noise from household clips in the same CV fold, so the noise is
  // on the training side whenever the cry clip is (and never from the test split).
  const augPlans: WaveAugmentation[][] = [];
  if (o.augment) {
    for (let s = 0; s < Math.max(o.seeds, o.mnv3Seeds); s++) {
      augPlans.push(
        planFoldAugmentations(
          clips,
          trainDev,
          foldOfClip(s),
          o.seed * 7717 + s,
          undefined,
          o.augmentNegatives,
        ),
      );
    }
  }
  // quiet copies: one plan for all CV seeds (no noise mixed in, so nothing depends on the fold); a copy is
  // used only when its clip is on the training side (copiesForTraining), and test clips are never sources.
  const quietPlan: QuietCopy[] =
    o.quietCopies === "none" ? [] : planQuietCopies(clips, trainDev, o.seed * 4391 + 7, o.quietCopies);
  const byRel = new Map(clips.map((c) => [c.relPath, c]));

  const bars = o.progress
    ? new cliProgress.MultiBar(
        { clearOnComplete: false, hideCursor: true, format: " {name} [{bar}] {value}/{total} {extra}" },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const extractTotal =
    clips.length +
    clips.filter((c) => !c.isCry && c.path && o.bandLimitHz > 0).length +
    augPlans.reduce((a, p) => a + p.length, 0) +
    quietPlan.length;
  const exBar = bars?.create(extractTotal, 0, { name: "extract  ", extra: "" });
  const tEx = performance.now();
  for (const c of clips) {
    try {
      c.feats = await extractor.get(c.sha256, policy, async () =>
        applyBandLimit(await audio16k(c), o.bandLimitHz),
      );
      if (!c.isCry && c.path && o.bandLimitHz > 0) {
        c.featsFull = await extractor.get(c.sha256, "full", () => audio16k(c));
        exBar?.increment();
      }
    } catch (err) {
      skipped.push({ file: c.relPath, error: (err as Error).message });
      log(`Skipping ${c.relPath}: ${(err as Error).message}`);
    }
    exBar?.increment(1, { extra: `cache ${extractor.hits} hit / ${extractor.misses} new` });
  }
  const usable = new Set(clips.filter((c) => c.feats).map((c) => c.id));
  checkClasses(clips, usable, o.data);
  const augCopies: AugCopy[][] = [];
  for (const plan of augPlans) {
    const copies: AugCopy[] = [];
    for (const aug of plan) {
      const src = byRel.get(aug.source)!;
      const noise = aug.noise ? byRel.get(aug.noise)! : null;
      exBar?.increment(1, { extra: `cache ${extractor.hits} hit / ${extractor.misses} new` });
      if (!usable.has(src.id) || (noise && !usable.has(noise.id))) continue;
      try {
        const variant = `aug:${noise?.sha256 ?? "none"}:${aug.gainDb.toFixed(4)}:${aug.shift}:${aug.snrDb.toFixed(4)}:${aug.noiseOffset}:${policy}`;
        const feats = await extractor.get(src.sha256, variant, async () =>
          applyBandLimit(
            applyAugmentation(await audio16k(src), noise ? await audio16k(noise) : null, aug),
            o.bandLimitHz,
          ),
        );
        copies.push({ clip: src.id, aug, feats });
      } catch (err) {
        log(`Skipping augmented copy of ${aug.source}: ${(err as Error).message}`);
      }
    }
    augCopies.push(copies);
  }
  const quietCopies: AugCopy[] = [];
  for (const q of quietPlan) {
    const src = byRel.get(q.source)!;
    exBar?.increment(1, { extra: `cache ${extractor.hits} hit / ${extractor.misses} new` });
    if (!usable.has(src.id)) continue;
    try {
      const variant = `quiet:${q.levelDbfs.toFixed(4)}:${q.shift}:${policy}`;
      const feats = await extractor.get(src.sha256, variant, async () =>
        applyBandLimit(applyQuietLevel(await audio16k(src), q), o.bandLimitHz),
      );
      quietCopies.push({ clip: src.id, aug: q, feats });
    } catch (err) {
      log(`Skipping quiet copy of ${q.source}: ${(err as Error).message}`);
    }
  }
  if (o.cryActiveDb > 0)
    await labelCryActivity(
      clips,
      [...augCopies.flat(), ...quietCopies],
      audio16k,
      o.patchStride,
      o.cryActiveDb,
      log,
    );
  /** augmented copies for CV seed `s`: its noise-mixed cry copies and the quiet copies */
  const copiesFor = (s: number): AugCopy[] | null =>
    augCopies[s] || quietCopies.length > 0 ? [...(augCopies[s] ?? []), ...quietCopies] : null;
  bars?.remove(exBar!);
  const extractSeconds = (performance.now() - tEx) / 1000;
  log(
    `Features: ${extractor.hits} cached, ${extractor.misses} computed in ${extractSeconds.toFixed(1)} s (layer ${o.featureLayer} ${extractor.mapShape.join("×")}, every ${o.patchStride}. patch)`,
  );

  // training runs on the same backend; the heads are small
  const mapShape = extractor.mapShape;
  const samplesOf = (ids: number[], which: "feats" | "featsFull" = "feats"): Sample[] => {
    const out: Sample[] = [];
    for (const id of ids) {
      const c = clips[id];
      const f = (which === "featsFull" ? (c.featsFull ?? c.feats) : c.feats) as ClipFeatures | undefined;
      if (!f) continue;
      for (let p = 0; p < f.patches; p++)
        if (!c.active || c.active[p])
          out.push({ features: f, patch: p, cry: c.isCry ? 1 : 0, reason: c.reason, clip: id });
    }
    return out;
  };
  const augSamples = (copies: AugCopy[], allowed: Set<number>): Sample[] => {
    const out: Sample[] = [];
    for (const a of copiesForTraining(copies, allowed)) {
      const c = clips[a.clip];
      for (let p = 0; p < a.feats.patches; p++)
        if (!a.active || a.active[p])
          out.push({ features: a.feats, patch: p, cry: c.isCry ? 1 : 0, reason: c.reason, clip: a.clip });
    }
    return out;
  };
  const trainOpts = (kind: HeadKind, seed: number): TrainOptions => ({
    ...DEFAULT_TRAIN_OPTIONS,
    kind,
    seed,
    mapShape,
    maxEpochs: kind === "fc" ? o.maxEpochs : o.mnv3MaxEpochs,
    samplesPerEpoch: kind === "fc" ? 0 : o.mnv3SamplesPerEpoch,
    batchSize: 128,
  });
  /** Trains on `trainIds` (+ their augmented copies), early stopping on a grouped inner split of them. */
  const fit = async (
    kind: HeadKind,
    trainIds: number[],
    seed: number,
    copies: AugCopy[] | null,
    bar?: cliProgress.SingleBar,
    which: "feats" | "featsFull" = "feats",
    /** seed of the inner grouped validation split (members of one ensemble share it) */
    splitSeed = seed,
  ) => {
    const inner = groupedHoldoutKeepingSingletons(
      trainIds.map((i) => ({ group: clips[i].group, label: clips[i].label })),
      0.15,
      splitSeed + 17,
    );
    const fitIds = inner.train.map((k) => trainIds[k]);
    const valIds = inner.heldOut.map((k) => trainIds[k]);
    const train = samplesOf(fitIds, which);
    if (copies) train.push(...augSamples(copies, new Set(fitIds)));
    const val = samplesOf(valIds, which);
    const opts = trainOpts(kind, seed);
    bar?.setTotal(opts.maxEpochs);
    bar?.update(0);
    const sampleKeys = (xs: Sample[]) =>
      sha256Hex(xs.map((x) => `${x.features.key}:${x.patch}:${x.cry}:${x.reason}`).join("\n"));
    const key = fitCache.key({ opts, train: sampleKeys(train), val: sampleKeys(val) });
    const model = buildHead(opts);
    const cached = fitCache.load(key, model);
    let trained: TrainedHead;
    if (cached) trained = { model, ...cached };
    else {
      model.dispose();
      trained = await trainHead(train, val, {
        ...opts,
        onEpoch: (e) =>
          bar?.update(e.epoch, { extra: `val loss ${e.valLoss.toFixed(3)} lr ${e.lr.toExponential(1)}` }),
      });
      fitCache.save(key, trained.model, trained);
    }
    bar?.update(opts.maxEpochs);
    return { ...trained, trainSamples: train.length, valSamples: val.length, valIds };
  };

  const clipInfos: ClipInfo[] = clips.map((c) => ({ group: c.group, isCry: c.isCry, reason: c.reason }));
  const trainDevReasons = trainDev.filter((i) => clips[i].reason >= 0).map((i) => clips[i].reason);
  const majorityReason = mode(trainDevReasons);
  const reasonPrior = REASONS.map(
    (_, k) =>
      (trainDevReasons.filter((r) => r === k).length + 0.5) / (trainDevReasons.length + 0.5 * REASONS.length),
  );

  // ---- grouped cross-validation -----------------------------------------------------------------------
  const foldBar = bars?.create(o.folds * (o.seeds + o.mnv3Seeds), 0, { name: "CV folds ", extra: "" });
  const epochBar = bars?.create(o.maxEpochs, 0, { name: "epochs   ", extra: "" });
  const oof: Record<HeadKind, Array<Map<number, FoldPredictions>>> = {
    fc: [],
    mnv3: [],
  };
  const foldResults: FoldResult[] = [];
  const tCv = performance.now();
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const seeds = kind === "fc" ? o.seeds : o.mnv3Seeds;
    for (let s = 0; s < seeds; s++) {
      const perFold = new Map<number, FoldPredictions>();
      for (let f = 0; f < o.folds; f++) {
        const { train, heldOut } = foldIndices(foldsBySeed[s], f);
        const trainIds = train.map((k) => trainDev[k]).filter((i) => usable.has(i));
        const evalIds = heldOut.map((k) => trainDev[k]).filter((i) => usable.has(i));
        foldBar?.update({ extra: `${kind} seed ${s} fold ${f + 1}/${o.folds}` });
        const trained = await fit(kind, trainIds, o.seed * 100 + s * 10 + f, copiesFor(s), epochBar);
        const evalSamples = samplesOf(evalIds);
        const fullSamples = samplesOf(evalIds, "featsFull");
        const logits = predictLogits(trained.model, kind, evalSamples, mapShape);
        const full = predictLogits(trained.model, kind, fullSamples, mapShape);
        trained.model.dispose();
        perFold.set(f, { logits, full, samples: evalSamples, fullSamples });
        const single = singleHead(kind);
        const l = toHeadLogits(logits, logits);
        const metrics = evaluateSet({
          preds: predictionsFrom(
            l,
            single,
            Int32Array.from(evalSamples.map((x) => x.clip)),
            Uint8Array.from(evalSamples.map((x) => x.cry)),
          ),
          clips: clipInfos,
          cryThreshold: 0.5,
          unsureThreshold: 0.5,
          majorityReason,
          reasonPrior,
          fullBand: predictionsFrom(
            toHeadLogits(full, full),
            single,
            Int32Array.from(fullSamples.map((x) => x.clip)),
            Uint8Array.from(fullSamples.map((x) => x.cry)),
          ),
          yamnetCry: Float64Array.from(evalSamples.map((x) => x.features.yamnetCry[x.patch])),
          bootstrapReps: 0,
          seed: o.seed,
        });
        foldResults.push({
          seed: s,
          fold: f,
          head: kind,
          metrics,
          bestEpoch: trained.bestEpoch,
          epochs: trained.history.length,
        });
        foldBar?.increment();
        log(
          `  ${kind} seed ${s} fold ${f + 1}: reason macro-F1 ${metrics.reason.macroF1.toFixed(3)} bal.acc ${metrics.reason.balancedAccuracy.toFixed(3)}, cry AUC ${metrics.cryPatchAuc.toFixed(4)} (full-band neg. ${metrics.cryPatchAucFullBandNegatives?.toFixed(4)}), best epoch ${trained.bestEpoch}/${trained.history.length}`,
        );
      }
      oof[kind].push(perFold);
    }
  }
  const cvSeconds = (performance.now() - tCv) / 1000;
  log(
    `Cross-validation: ${cvSeconds.toFixed(1)} s (${fitCache.hits} fits from the cache, ${fitCache.misses} trained)`,
  );

  // ---- combination weights, calibration, thresholds: chosen on out-of-fold validation predictions only ----
  const pooled = (s: number) => {
    const fc = concatFolds(oof.fc[s], o.folds);
    const mn = concatFolds(oof.mnv3[s], o.folds);
    return { fc, mn };
  };
  const p0 = pooled(0);
  const isCry0 = Uint8Array.from(p0.fc.ids.map((id) => (clips[id].isCry ? 1 : 0)));
  const reason0 = Int32Array.from(p0.fc.ids.map((id) => clips[id].reason));
  let combination = chooseCombination(toHeadLogits(p0.fc.logits, p0.mn.logits), isCry0, reason0);
  let stackChoice: StackChoice | null = null;
  if (o.yamnetStack) {
    const z = cryLogit(toHeadLogits(p0.fc.logits, p0.mn.logits), combination.cry.fcWeight);
    stackChoice = chooseYamnetStack(z, yamnetLogitsFor(p0.fc.samples), isCry0, p0.fc.fold);
    const { stack } = stackChoice;
    if (stack) {
      combination = {
        ...combination,
        cry: {
          fcWeight: combination.cry.fcWeight,
          scale: stack.scale,
          bias: stack.bias,
          yamnet: stack.weights,
        },
      };
    }
    const f = (x: StackFigures) =>
      `log-loss ${x.logLoss.toFixed(4)}, AUC ${x.auc.toFixed(4)}, false positives at 90 % recall ${(100 * x.fprAtTpr90).toFixed(2)} %`;
    log(
      `YAMNet evidence (second-level grouped CV on out-of-fold patches): Platt alone ${f(stackChoice.platt)}; ${stackChoice.byLambda.map((b) => `λ ${b.lambda}: ${f(b)}`).join("; ")} → ${stack ? `used, λ ${stackChoice.lambda}` : "not used"}`,
    );
  }
  /** YAMNet's class logits of `samples` when the combination weighs them; otherwise there is nothing to compute */
  const evidenceFor = (samples: Sample[]) => (combination.cry.yamnet ? yamnetLogitsFor(samples) : undefined);
  const oofPreds = predictionsFrom(
    toHeadLogits(p0.fc.logits, p0.mn.logits, evidenceFor(p0.fc.samples)),
    combination,
    Int32Array.from(p0.fc.ids),
    isCry0,
  );
  const thresholds = chooseThresholds(oofPreds, clipInfos);
  log(
    `Combination (chosen on out-of-fold validation predictions): ${JSON.stringify(combination)}; thresholds ${JSON.stringify(thresholds)}`,
  );
  // CV figures of every head with the calibrated combination, per fold, for seeds where both heads exist
  const cvCombined: FoldResult[] = [];
  for (let s = 0; s < Math.min(o.seeds, o.mnv3Seeds); s++) {
    for (let f = 0; f < o.folds; f++) {
      const a = oof.fc[s].get(f)!;
      const b = oof.mnv3[s].get(f)!;
      const ids = Int32Array.from(a.samples, (x) => x.clip);
      const isCry = Uint8Array.from(a.samples, (x) => x.cry);
      const metrics = evaluateSet({
        preds: predictionsFrom(
          toHeadLogits(a.logits, b.logits, evidenceFor(a.samples)),
          combination,
          ids,
          isCry,
        ),
        clips: clipInfos,
        cryThreshold: thresholds.cry,
        unsureThreshold: thresholds.unsure,
        majorityReason,
        reasonPrior,
        fullBand: predictionsFrom(
          toHeadLogits(a.full, b.full, evidenceFor(a.fullSamples)),
          combination,
          ids,
          isCry,
        ),
        bootstrapReps: 0,
        seed: o.seed,
      });
      cvCombined.push({ seed: s, fold: f, head: "combined", metrics });
    }
  }
  foldResults.push(...cvCombined);
  // pooled out-of-fold figures with bootstrap intervals over groups (seed 0, all folds)
  const pooledFull = {
    fc: concatFolds(oof.fc[0], o.folds, "full"),
    mn: concatFolds(oof.mnv3[0], o.folds, "full"),
  };
  const cvPooled = evaluateSet({
    preds: oofPreds,
    clips: clipInfos,
    cryThreshold: thresholds.cry,
    unsureThreshold: thresholds.unsure,
    majorityReason,
    reasonPrior,
    fullBand: predictionsFrom(
      toHeadLogits(pooledFull.fc.logits, pooledFull.mn.logits, evidenceFor(pooledFull.fc.samples)),
      combination,
      Int32Array.from(p0.fc.ids),
      isCry0,
    ),
    bootstrapReps: o.bootstrapReps,
    seed: o.seed,
  });
  const cvPooledByHead: Record<string, SetMetrics> = {};
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const l = kind === "fc" ? p0.fc : p0.mn;
    const lf = kind === "fc" ? pooledFull.fc : pooledFull.mn;
    // each head calibrated alone on the same out-of-fold predictions
    const single = chooseCombination(toHeadLogits(l.logits, l.logits), isCry0, reason0);
    cvPooledByHead[kind] = evaluateSet({
      preds: predictionsFrom(toHeadLogits(l.logits, l.logits), single, Int32Array.from(l.ids), isCry0),
      clips: clipInfos,
      cryThreshold: thresholds.cry,
      unsureThreshold: thresholds.unsure,
      majorityReason,
      reasonPrior,
      fullBand: predictionsFrom(toHeadLogits(lf.logits, lf.logits), single, Int32Array.from(l.ids), isCry0),
      bootstrapReps: o.bootstrapReps,
      seed: o.seed,
    });
  }

  // ---- final heads on all train/dev data, evaluated once on the untouched test split -------------------------
  const finalIds = trainDev.filter((i) => usable.has(i));
  const finals: Partial<Record<HeadKind, { models: tfl.LayersModel[]; history: EpochRecord[] }>> = {};
  const finalBar = bars?.create(2 * o.ensemble, 0, { name: "final    ", extra: "" });
  let finalValIds: number[] = [];
  const finalSeed = o.seed * 100 + 99;
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    const models: tfl.LayersModel[] = [];
    let history: EpochRecord[] = [];
    for (let m = 0; m < o.ensemble; m++) {
      finalBar?.update({ extra: `${kind} ${m + 1}/${o.ensemble}` });
      // members differ in initialisation, dropout, mixup and batch order; all share the inner validation split,
      // so the calibration below sees patches none of them trained on
      const trained = await fit(
        kind,
        finalIds,
        finalSeed + 1000 * m,
        copiesFor(0),
        epochBar,
        "feats",
        finalSeed,
      );
      applyQuantization(trained.model); // evaluate exactly what is exported
      finalValIds = trained.valIds;
      models.push(trained.model);
      if (m === 0) history = trained.history;
      finalBar?.increment();
    }
    finals[kind] = { models, history };
  }
  // Calibration of the exported heads. Cry: Platt scaling and threshold refitted on the final training's inner
  // grouped validation split (the final heads' logit scale differs from the CV heads'; ~1000 patches is plenty
  // for two parameters). Reasons: temperature, biases and the unsure threshold stay as fitted on the ~370
  // out-of-fold cry clips of the CV — the inner split's ~60 cry clips are too few and fit noise.
  const finalVal = samplesOf(finalValIds);
  const finalValLogits = toHeadLogits(
    predictEnsembleLogits(finals.fc!.models, "fc", finalVal, mapShape),
    predictEnsembleLogits(finals.mnv3!.models, "mnv3", finalVal, mapShape),
    evidenceFor(finalVal),
  );
  const finalValCry = Uint8Array.from(finalVal.map((x) => x.cry));
  const exportCombination: Combination = {
    cry: recalibrate(finalValLogits, finalValCry, Int32Array.from(finalVal.map((x) => x.reason)), combination)
      .cry,
    reason: combination.reason,
  };
  const exportThresholds = {
    cry: chooseThresholds(
      predictionsFrom(
        finalValLogits,
        exportCombination,
        Int32Array.from(finalVal.map((x) => x.clip)),
        finalValCry,
      ),
      clipInfos,
    ).cry,
    unsure: thresholds.unsure,
  };
  log(
    `Exported calibration (cry: final inner validation split; reasons: out-of-fold): ${JSON.stringify(exportCombination)}; thresholds ${JSON.stringify(exportThresholds)}`,
  );
  const testUsable = testIds.filter((i) => usable.has(i));
  const testSamples = samplesOf(testUsable);
  const testFull = samplesOf(testUsable, "featsFull");
  const testLogits = {
    fc: predictEnsembleLogits(finals.fc!.models, "fc", testSamples, mapShape),
    mn: predictEnsembleLogits(finals.mnv3!.models, "mnv3", testSamples, mapShape),
    fcFull: predictEnsembleLogits(finals.fc!.models, "fc", testFull, mapShape),
    mnFull: predictEnsembleLogits(finals.mnv3!.models, "mnv3", testFull, mapShape),
  };
  const testIsCry = Uint8Array.from(testSamples.map((s) => s.cry));
  const testClipIdx = Int32Array.from(testSamples.map((s) => s.clip));
  const testPreds = predictionsFrom(
    toHeadLogits(testLogits.fc, testLogits.mn, evidenceFor(testSamples)),
    exportCombination,
    testClipIdx,
    testIsCry,
  );
  const fullBandTestPreds = predictionsFrom(
    toHeadLogits(testLogits.fcFull, testLogits.mnFull, evidenceFor(testFull)),
    exportCombination,
    testClipIdx,
    testIsCry,
  );
  const testMetrics = evaluateSet({
    preds: testPreds,
    clips: clipInfos,
    cryThreshold: exportThresholds.cry,
    unsureThreshold: exportThresholds.unsure,
    majorityReason,
    reasonPrior,
    fullBand: fullBandTestPreds,
    yamnetCry: Float64Array.from(testSamples.map((s) => s.features.yamnetCry[s.patch])),
    bootstrapReps: o.bootstrapReps,
    seed: o.seed + 5,
  });

  // ---- bandwidth shortcut demonstration: the same FC head trained WITHOUT the band-limiting policy ----------
  let shortcut: { fullBandNegatives: number; bandLimitedNegatives: number } | null = null;
  if (o.bandLimitHz > 0) {
    const trained = await fit("fc", finalIds, o.seed * 100 + 98, null, epochBar, "featsFull");
    const a = predictLogits(trained.model, "fc", testFull, mapShape);
    const b = predictLogits(trained.model, "fc", testSamples, mapShape);
    trained.model.dispose();
    const { rocAuc } = await import("./metrics.js");
    shortcut = {
      fullBandNegatives: rocAuc(a.cry, testIsCry),
      bandLimitedNegatives: rocAuc(b.cry, testIsCry),
    };
    log(
      `Shortcut check (FC head trained on full-band negatives, test patches): AUC ${shortcut.fullBandNegatives.toFixed(4)} with full-band negatives, ${shortcut.bandLimitedNegatives.toFixed(4)} with band-limited negatives`,
    );
  }

  // ---- LEAKY protocol, for comparison with the original research only ----------------------------------------
  let leaky: LeakyFigures | null = null;
  if (o.leaky)
    leaky = await leakyProtocol(
      clips,
      finalIds,
      copiesFor(0) ?? [],
      o,
      fit,
      samplesOf,
      augSamples,
      mapShape,
      clipInfos,
      majorityReason,
      reasonPrior,
    );
  bars?.stop();

  // ---- export -------------------------------------------------------------------------------------------------
  const elapsed = (performance.now() - t0) / 1000;
  const summary = summarize(foldResults, cvPooled, cvPooledByHead, testMetrics, shortcut, leaky, o);
  const trainingFiles = clips
    .filter((c) => c.path && finalIds.includes(c.id))
    .map((c) => ({ file: c.relPath, sha256: c.sha256, label: c.label, group: c.group }));
  const augmentation = [
    o.augment
      ? `one copy per training cry clip${o.augmentNegatives ? ", household clip and laughter clip" : ""}: gain ±6 dB, circular shift < 0.48 s, household noise from the same training fold at 0–20 dB SNR`
      : null,
    o.quietCopies !== "none"
      ? `one quiet copy of every training ${o.quietCopies === "all" ? "clip, every class alike" : "household clip"}: ${QUIET_COPY_DBFS[0]}…${QUIET_COPY_DBFS[1]} dBFS RMS, circular shift < 0.48 s`
      : null,
    "mixup (Beta 0.4) within cry / within non-cry batches",
    o.cryActiveDb > 0
      ? `cry clips' patches more than ${o.cryActiveDb} dB below the clip's loudest patch (pauses, room tone) are not labelled cry and are left out`
      : null,
  ]
    .filter((x) => x !== null)
    .join("; ");
  const version = `${new Date().toISOString().slice(0, 10)}-${gitCommit().slice(0, 7)}`;
  const manifest: HeadsManifest = {
    format: HEADS_MANIFEST_FORMAT,
    formatVersion: HEADS_MANIFEST_VERSION,
    name: o.name,
    version,
    labels: { reasons: [...REASONS], nonCry: ["noise", "laugh", "silence"] },
    yamnet: { sourceSha256: yamnet.manifest.source.sha256, sourceFile: yamnet.manifest.source.file },
    frontend: { ...YAMNET_FRONTEND },
    bandLimitHz: o.bandLimitHz,
    featureLayer: o.featureLayer,
    featureShape: mapShape,
    heads: { fc: ensembleDirs("fc", o.ensemble), mnv3: ensembleDirs("mnv3", o.ensemble) },
    combination: exportCombination,
    thresholds: exportThresholds,
    trainedOn: "train/dev split (the hold-out test split was never used for training or for any choice)",
    training: {
      command: o.command,
      gitCommit: gitCommit(),
      date: new Date().toISOString(),
      seconds: Math.round(elapsed),
      data: relative(PROJECT_ROOT, o.data) || o.data,
      patchHopSeconds:
        (o.patchStride * YAMNET_FRONTEND.patchHopFrames * YAMNET_FRONTEND.stftHopSamples) /
        YAMNET_FRONTEND.sampleRate,
      augmentation,
      silenceClips: o.silenceClips,
      files: trainingFiles,
      skipped,
    },
    metrics: summary,
  } as HeadsManifest;
  // reference predictions of the exported heads, from float YAMNet outputs as the daemon computes them
  const K = REASONS.length;
  const reference = {
    note: "per-patch predictions of the exported heads: 16 kHz, band-limited at bandLimitHz, log-mel patches taken every patchHopSeconds from the start",
    patchHopSeconds:
      (o.patchStride * YAMNET_FRONTEND.patchHopFrames * YAMNET_FRONTEND.stftHopSamples) /
      YAMNET_FRONTEND.sampleRate,
    clips: [] as Array<{
      file: string;
      sha256: string;
      label: string;
      patches: Array<{ cry: number; reasons: number[] }>;
    }>,
  };
  for (const id of referenceClips(clips, testUsable)) {
    const c = clips[id];
    const feats = extractor.extract(applyBandLimit(await audio16k(c), o.bandLimitHz), true);
    const samples = Array.from(
      { length: feats.patches },
      (_, p): Sample => ({ features: feats, patch: p, cry: c.isCry ? 1 : 0, reason: c.reason, clip: id }),
    );
    const l = toHeadLogits(
      predictEnsembleLogits(finals.fc!.models, "fc", samples, mapShape),
      predictEnsembleLogits(finals.mnv3!.models, "mnv3", samples, mapShape),
      evidenceFor(samples),
    );
    const p = predictionsFrom(
      l,
      exportCombination,
      Int32Array.from(samples.map(() => id)),
      Uint8Array.from(samples.map((x) => x.cry)),
    );
    reference.clips.push({
      file: c.relPath,
      sha256: c.sha256,
      label: c.label,
      patches: samples.map((_, i) => ({
        cry: p.cry[i],
        reasons: Array.from({ length: K }, (_, k) => p.reasons[i * K + k]),
      })),
    });
  }
  if (o.outDir) {
    mkdirSync(o.outDir, { recursive: true });
    for (const kind of ["fc", "mnv3"] as HeadKind[]) {
      const dirs = manifest.heads[kind];
      for (const [m, model] of finals[kind]!.models.entries())
        await saveQuantizedModel(model, join(o.outDir, dirs[m]));
    }
    writeFileSync(join(o.outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(o.outDir, "reference.json"), `${JSON.stringify(reference, null, 2)}\n`);
  }
  const { writeRunReports } = await import("./report.js");
  await writeRunReports({
    runDir,
    outDir: o.outDir,
    manifest,
    summary,
    foldResults,
    cvPooled,
    cvPooledByHead,
    testMetrics,
    testPreds,
    fullBandTestPreds,
    testClipLabels: clips.map((c) => c.label),
    clipPaths: clips.map((c) => c.relPath),
    history: finals.fc!.history,
    historyMnv3: finals.mnv3!.history,
    shortcut,
    leaky,
    thresholds: exportThresholds,
    cvThresholds: thresholds,
    cvCombination: combination,
    clipsByLabel: countByLabel(clips.filter((c) => usable.has(c.id))),
    groups: new Set(clips.map((c) => c.group)).size,
    timings: { extractSeconds, cvSeconds, totalSeconds: (performance.now() - t0) / 1000 },
    options: o,
    skipped,
    augmentation,
    yamnetEvidence: stackChoice,
  });
  for (const m of [...finals.fc!.models, ...finals.mnv3!.models]) m.dispose();
  yamnet.dispose();
  return {
    runDir,
    outDir: o.outDir,
    seconds: (performance.now() - t0) / 1000,
    metrics: summary,
    manifest,
    skipped,
  };
}

function splitHoldout(clips: RunClip[], o: TrainExportOptions): { train: number[]; heldOut: number[] } {
  if (clips.some((c) => c.presplit)) {
    const heldOut = clips.filter((c) => c.presplit === "test").map((c) => c.id);
    if (heldOut.length === 0) throw new Error(`Expected a test/ folder in the pre-split data ${o.data}`);
    return { train: clips.filter((c) => c.presplit !== "test").map((c) => c.id), heldOut };
  }
  // A label with a single group (the one laugh recording) cannot be both trained on and tested out-of-group:
  // it stays in train/dev, where grouped CV still shows how a fold without it fares.
  const { train, heldOut } = groupedHoldoutKeepingSingletons(
    clips.map((c) => ({ group: c.group, label: c.label })),
    o.testFraction,
    20261124 + o.seed,
  );
  return { train: train.map((k) => clips[k].id), heldOut: heldOut.map((k) => clips[k].id) };
}

function checkClasses(clips: RunClip[], usable: Set<number>, root: string): void {
  const dead = TRAIN_LABELS.filter(
    (label) =>
      clips.some((c) => c.label === label) && !clips.some((c) => c.label === label && usable.has(c.id)),
  );
  if (dead.length) {
    throw new DatasetError(
      `Expected usable clips for ${dead.join(", ")} in ${root}, but every one of their files failed to load`,
    );
  }
  if (!clips.some((c) => c.isCry && usable.has(c.id)))
    throw new DatasetError(`Expected usable cry clips in ${root}`);
  if (!clips.some((c) => !c.isCry && usable.has(c.id)))
    throw new DatasetError(`Expected usable non-cry clips in ${root}`);
}

function mode(xs: number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = 0;
  let n = -1;
  for (const [k, v] of counts) if (v > n) [best, n] = [k, v];
  return best;
}

/** Out-of-fold predictions of one head over one fold assignment. */
interface FoldPredictions {
  logits: Logits;
  /** the same patches' full-band features (negatives), for the bandwidth check */
  full: Logits;
  samples: Sample[];
  fullSamples: Sample[];
}

/** The folds' predictions end to end: logits, samples, clip ids and each patch's fold. */
function concatFolds(
  perFold: Map<number, FoldPredictions>,
  folds: number,
  which: "logits" | "full" = "logits",
): { logits: Logits; ids: number[]; samples: Sample[]; fold: Int32Array } {
  const cry: number[] = [];
  const reason: number[] = [];
  const samples: Sample[] = [];
  const fold: number[] = [];
  for (let f = 0; f < folds; f++) {
    const r = perFold.get(f);
    if (!r) continue;
    const l = r[which];
    for (const v of l.cry) cry.push(v);
    for (const v of l.reason) reason.push(v);
    for (const x of which === "full" ? r.fullSamples : r.samples) {
      samples.push(x);
      fold.push(f);
    }
  }
  return {
    logits: { cry: Float32Array.from(cry), reason: Float32Array.from(reason) },
    ids: samples.map((x) => x.clip),
    samples,
    fold: Int32Array.from(fold),
  };
}

/** A few test clips (one per label where possible) for the reference predictions. */
function referenceClips(clips: RunClip[], testIds: number[]): number[] {
  const pick: number[] = [];
  for (const label of [
    "hungry",
    "noise",
    "laugh",
    "belly_pain",
    "tired",
    "discomfort",
    "burping",
  ] as TrainLabel[]) {
    const c = testIds.find((i) => clips[i].label === label && clips[i].path);
    if (c !== undefined) pick.push(c);
    if (pick.length >= 3) break;
  }
  return pick;
}

export interface LeakyFigures {
  reasonAccuracy: number;
  reasonMacroF1: number;
  reasonBalancedAccuracy: number;
  cryPatchAuc: number;
  testItems: number;
}

async function leakyProtocol(
  clips: RunClip[],
  finalIds: number[],
  copies: AugCopy[],
  o: TrainExportOptions,
  fit: (
    kind: HeadKind,
    ids: number[],
    seed: number,
    copies: AugCopy[] | null,
  ) => Promise<{ model: tfl.LayersModel }>,
  samplesOf: (ids: number[]) => Sample[],
  augSamples: (copies: AugCopy[], allowed: Set<number>) => Sample[],
  mapShape: [number, number, number],
  clipInfos: ClipInfo[],
  majorityReason: number,
  reasonPrior: number[],
): Promise<LeakyFigures> {
  // Items are original clips and augmented copies alike, split at random (80/20) with no regard for groups
  // or for which copy came from which recording — the original research's protocol. LEAKY.
  const rand = mulberry32(o.seed + 4242);
  const items = [
    ...finalIds.map((id) => ({ id, copy: -1 })),
    ...copies.map((_, k) => ({ id: copies[k].clip, copy: k })),
  ];
  shuffleInPlace(items, rand);
  const cut = Math.floor(items.length * 0.8);
  const trainItems = items.slice(0, cut);
  const testItems = items.slice(cut);
  // fake "clips" for the copies so the trainer sees them as independent items
  const trainBase = trainItems.filter((x) => x.copy < 0).map((x) => x.id);
  const trainCopies = trainItems.filter((x) => x.copy >= 0).map((x) => copies[x.copy]);
  const trained = await fit("fc", trainBase, o.seed + 4243, trainCopies.length ? trainCopies : null);
  const evalSamples: Sample[] = [];
  let virtual = clips.length;
  const infos = [...clipInfos];
  for (const x of testItems) {
    if (x.copy < 0) evalSamples.push(...samplesOf([x.id]));
    else {
      const c = clips[x.id];
      infos.push({ group: `copy:${virtual}`, isCry: true, reason: c.reason });
      for (const s of augSamples([copies[x.copy]], new Set([x.id])))
        evalSamples.push({ ...s, clip: virtual });
      virtual++;
    }
  }
  const l = predictLogits(trained.model, "fc", evalSamples, mapShape);
  trained.model.dispose();
  const m = evaluateSet({
    preds: predictionsFrom(
      toHeadLogits(l, l),
      singleHead("fc"),
      Int32Array.from(evalSamples.map((s) => s.clip)),
      Uint8Array.from(evalSamples.map((s) => s.cry)),
    ),
    clips: infos,
    cryThreshold: 0.5,
    unsureThreshold: 0.5,
    majorityReason,
    reasonPrior,
    bootstrapReps: 0,
    seed: o.seed,
  });
  return {
    reasonAccuracy: m.reason.accuracy,
    reasonMacroF1: m.reason.macroF1,
    reasonBalancedAccuracy: m.reason.balancedAccuracy,
    cryPatchAuc: m.cryPatchAuc,
    testItems: testItems.length,
  };
}

function stat(values: number[]) {
  const { mean, std } = meanStd(values);
  return { mean, std, perFold: values };
}

export type RunSummary = ReturnType<typeof summarize>;

function summarize(
  folds: FoldResult[],
  cvPooled: SetMetrics,
  byHead: Record<string, SetMetrics>,
  test: SetMetrics,
  shortcut: { fullBandNegatives: number; bandLimitedNegatives: number } | null,
  leaky: LeakyFigures | null,
  o: TrainExportOptions,
) {
  const decision = (head: FoldResult["head"], m: SetMetrics) =>
    head === "combined" ? m.reasonPriorCorrected : m.reason;
  const per = (head: FoldResult["head"], f: (m: SetMetrics) => number | null) =>
    stat(folds.filter((r) => r.head === head).map((r) => f(r.metrics) ?? Number.NaN));
  const perHead = (head: FoldResult["head"]) => ({
    reasonMacroF1: per(head, (m) => decision(head, m).macroF1),
    reasonBalancedAccuracy: per(head, (m) => decision(head, m).balancedAccuracy),
    reasonAccuracy: per(head, (m) => decision(head, m).accuracy),
    baselineMacroF1: per(head, (m) => m.reasonBaseline.macroF1),
    baselineBalancedAccuracy: per(head, (m) => m.reasonBaseline.balancedAccuracy),
    baselineAccuracy: per(head, (m) => m.reasonBaseline.accuracy),
    cryPatchAuc: per(head, (m) => m.cryPatchAuc),
    cryPatchAucFullBandNegatives: per(head, (m) => m.cryPatchAucFullBandNegatives),
    cryClipAuc: per(head, (m) => m.cryClipAuc),
    cryClipAucFullBandNegatives: per(head, (m) => m.cryClipAucFullBandNegatives),
    cryEce: per(head, (m) => m.cryEce),
    reasonEce: per(head, (m) => m.reasonEce),
  });
  const cv = { fc: perHead("fc"), mnv3: perHead("mnv3"), combined: perHead("combined") };
  const brief = (m: SetMetrics) => ({
    reasonPriorCorrected: {
      macroF1: m.reasonPriorCorrectedMacroF1CI,
      balancedAccuracy: m.reasonPriorCorrectedBalancedAccCI,
      accuracy: m.reasonPriorCorrected.accuracy,
      weightedF1: m.reasonPriorCorrected.weightedF1,
    },
    reasonArgmax: {
      macroF1: m.reasonMacroF1CI,
      balancedAccuracy: m.reasonBalancedAccCI,
      accuracy: m.reason.accuracy,
      weightedF1: m.reason.weightedF1,
    },
    baseline: {
      macroF1: m.reasonBaseline.macroF1,
      balancedAccuracy: m.reasonBaseline.balancedAccuracy,
      accuracy: m.reasonBaseline.accuracy,
    },
    unsureRate: m.unsureRate,
    confidentBalancedAccuracy: m.confidentBalancedAccuracy,
    cryPatchAuc: m.cryPatchAuc,
    cryPatchAucFullBandNegatives: m.cryPatchAucFullBandNegatives,
    cryClipAuc: m.cryClipAucCI,
    cryClipAucFullBandNegatives: m.cryClipAucFullBandNegatives,
    cryPatchAp: m.cryPatchAp,
    cryPatchF1AtThreshold: m.cryPatchF1,
    cryClipF1AtThreshold: m.cryClipF1,
    cryEce: m.cryEce,
    reasonEce: m.reasonEce,
    yamnetCryPatchAuc: m.yamnetCryPatchAuc,
    clips: m.clips,
    cryClips: m.cryClips,
    patches: m.patches,
  });
  return {
    protocol: `grouped stratified ${o.folds}-fold CV on the train/dev split (${o.seeds} fold assignments for fc, ${o.mnv3Seeds} for mnv3), plus a fixed grouped hold-out test split (${Math.round(o.testFraction * 100)} % of the groups)`,
    cvPerFold: cv,
    cvPooledSeed0: { combined: brief(cvPooled), fc: brief(byHead.fc), mnv3: brief(byHead.mnv3) },
    test: brief(test),
    bandwidthShortcutCheck: shortcut
      ? {
          description:
            "FC head trained WITHOUT band-limiting (negatives full-band, cries 8 kHz), test patches",
          aucFullBandNegatives: shortcut.fullBandNegatives,
          aucBandLimitedNegatives: shortcut.bandLimitedNegatives,
        }
      : null,
    leakyProtocol: leaky
      ? {
          warning:
            "LEAKY: augmented copies split at random (copies and families on both sides); for comparison with the original research only",
          ...leaky,
        }
      : null,
  };
}
