import type * as tfl from "@tensorflow/tfjs-layers";
import { ARCH_RECIPES, type ArchName, buildArch, PATCH_SHAPE } from "../archs/index.js";
import { inputShapeOf } from "../batches.js";
import type { HeadFitter } from "../head-fitter.js";
import { mulberry32, shuffleInPlace } from "../random.js";
import { augSamples, samplesOf } from "../samples.js";
import { groupedHoldoutKeepingSingletons } from "../split.js";
import { buildHead, DEFAULT_TRAIN_OPTIONS, predictLogits } from "../trainer.js";
import type { RunClip } from "../types.js";
import { predictPatchLogits, trainPatchModel } from "./patch-trainer.js";
import type { PatchStore } from "./patches.js";
import type { ArchFitter, ArchProtocol, FitRequest, FittedModel } from "./types.js";

/** Today's YAMNet heads (src/train/models.ts) through the existing HeadFitter and its fit cache. */
export function yamnetHeadFitter(
  arch: "yamnet-fc" | "yamnet-mnv3",
  fitter: HeadFitter,
  mapShape: [number, number, number],
): ArchFitter {
  const kind = arch === "yamnet-fc" ? "fc" : "mnv3";
  return {
    arch,
    inputShape: inputShapeOf(kind, mapShape),
    build: (seed) => buildHead({ ...DEFAULT_TRAIN_OPTIONS, kind, seed, mapShape }),
    async fit(r: FitRequest): Promise<FittedModel> {
      const t0 = performance.now();
      const trained = await fitter.fit({ kind, ...r, showEpochs: true });
      return {
        model: trained.model,
        predict: (samples) => predictLogits(trained.model, kind, samples, mapShape),
        history: trained.history,
        bestEpoch: trained.bestEpoch,
        valIds: trained.valIds,
        stoppedByBudget: false,
        seconds: (performance.now() - t0) / 1000,
      };
    },
  };
}

/** A patch architecture (src/train/archs/) trained on log-mel patches with its recipe, within `protocol`. */
export function patchArchFitter(
  arch: ArchName,
  clips: readonly RunClip[],
  store: PatchStore,
  protocol: () => ArchProtocol,
  log: (line: string) => void,
): ArchFitter {
  const recipe = ARCH_RECIPES[arch];
  const build = (seed: number): tfl.LayersModel => {
    const p = protocol();
    return buildArch(arch, {
      inputShape: PATCH_SHAPE,
      width: p.width,
      depth: p.depth,
      dropout: recipe.dropout,
      stochasticDepth: recipe.stochasticDepth,
      seed,
    });
  };
  return {
    arch,
    inputShape: [...PATCH_SHAPE],
    build,
    async fit(r: FitRequest): Promise<FittedModel> {
      const t0 = performance.now();
      const p = protocol();
      // the same inner grouped validation split as the YAMNet heads' (HeadFitter.fit)
      const inner = groupedHoldoutKeepingSingletons(
        r.trainIds.map((i) => ({ group: clips[i].group, label: clips[i].label })),
        0.15,
        (r.splitSeed ?? r.seed) + 17,
      );
      const fitIds = inner.train.map((k) => r.trainIds[k]);
      const valIds = inner.heldOut.map((k) => r.trainIds[k]);
      const train = samplesOf(clips, fitIds, r.which);
      if (r.copies) train.push(...augSamples(clips, r.copies, new Set(fitIds)));
      const val = subsample(samplesOf(clips, valIds, r.which), p.maxValSamples, r.seed);
      const trained = await trainPatchModel(train, val, store, {
        recipe,
        seed: r.seed,
        build: () => build(r.seed),
        maxEpochs: Math.min(p.maxEpochs, recipe.maxEpochs),
        samplesPerEpoch: p.samplesPerEpoch,
        deadline: t0 + p.fitSeconds * 1000,
        onEpoch: (e) =>
          log(
            `    ${arch} epoch ${e.epoch}: ${e.samples} patches in ${e.seconds.toFixed(1)} s, train loss ${e.trainLoss.toFixed(3)}, val loss ${e.valLoss.toFixed(3)}, lr ${e.lr.toExponential(1)}`,
          ),
      });
      return {
        model: trained.model,
        predict: (samples) => predictPatchLogits(trained.model, samples, store, trained.standardization),
        standardization: trained.standardization,
        history: trained.history,
        bestEpoch: trained.bestEpoch,
        valIds,
        stoppedByBudget: trained.stoppedByBudget,
        seconds: (performance.now() - t0) / 1000,
      };
    },
  };
}

/** A fixed random subset of `n` samples (all when n is 0 or larger than the set), in their original order. */
function subsample<T>(xs: T[], n: number, seed: number): T[] {
  if (n <= 0 || xs.length <= n) return xs;
  const keep = shuffleInPlace(
    xs.map((_, i) => i),
    mulberry32(seed + 31),
  )
    .slice(0, n)
    .sort((a, b) => a - b);
  return keep.map((i) => xs[i]);
}
