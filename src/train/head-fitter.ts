import { join } from "node:path";
import { sha256Hex } from "../util/sha256.js";
import { FitCache, trainingCodeKey } from "./fit-cache.js";
import type { HeadKind } from "./models.js";
import type { RunProgress } from "./progress.js";
import type { Sample } from "./sample.js";
import { augSamples, samplesOf } from "./samples.js";
import { groupedHoldoutKeepingSingletons } from "./split.js";
import {
  buildHead,
  DEFAULT_TRAIN_OPTIONS,
  type TrainedHead,
  type TrainOptions,
  trainHead,
} from "./trainer.js";
import type { AugCopy, FeatureSide, RunClip, TrainExportOptions } from "./types.js";

/**
 * The source files whose text keys the fit cache, relative to this module (trainingCodeKey resolves them next to
 * `import.meta.url`, in src/train/ or dist/train/): editing any of them trains every head afresh.
 */
const HEAD_TRAINING_CODE = ["trainer", "batches", "adamw", "models", "../inference/head-layers"];

export interface FitRequest {
  kind: HeadKind;
  /** clips to train on; an inner grouped split of them is held out for early stopping */
  trainIds: number[];
  seed: number;
  /** augmented copies that may join (those of clips on the training side of the inner split) */
  copies: AugCopy[] | null;
  /** show the epochs on the progress bar */
  showEpochs?: boolean;
  which?: FeatureSide;
  /** seed of the inner grouped validation split (members of one ensemble share it); default `seed` */
  splitSeed?: number;
}

export interface FittedHead extends TrainedHead {
  /** the clips of the inner validation split */
  valIds: number[];
}

/** Trains heads on clips of the run, or restores them from the fit cache when nothing they depend on changed. */
export class HeadFitter {
  private readonly cache: FitCache;

  constructor(
    private readonly clips: readonly RunClip[],
    private readonly mapShape: [number, number, number],
    private readonly o: Pick<
      TrainExportOptions,
      "cacheDir" | "maxEpochs" | "mnv3MaxEpochs" | "mnv3SamplesPerEpoch"
    >,
    private readonly progress: RunProgress,
  ) {
    this.cache = new FitCache(
      o.cacheDir ? join(o.cacheDir, "fits") : null,
      trainingCodeKey(HEAD_TRAINING_CODE, import.meta.url),
    );
  }

  /** fits restored from the cache, and fits trained, so far */
  get hits(): number {
    return this.cache.hits;
  }

  get misses(): number {
    return this.cache.misses;
  }

  /** Trains on `trainIds` (+ their augmented copies), early stopping on a grouped inner split of them. */
  async fit(r: FitRequest): Promise<FittedHead> {
    const { kind, trainIds, seed, copies, which = "feats", splitSeed = seed } = r;
    const inner = groupedHoldoutKeepingSingletons(
      trainIds.map((i) => ({ group: this.clips[i].group, label: this.clips[i].label })),
      0.15,
      splitSeed + 17,
    );
    const fitIds = inner.train.map((k) => trainIds[k]);
    const valIds = inner.heldOut.map((k) => trainIds[k]);
    const train = samplesOf(this.clips, fitIds, which);
    if (copies) train.push(...augSamples(this.clips, copies, new Set(fitIds)));
    const val = samplesOf(this.clips, valIds, which);
    const opts = this.trainOptions(kind, seed);
    const bar = r.showEpochs ? this.progress.epochs() : undefined;
    bar?.setTotal(opts.maxEpochs);
    bar?.update(0);
    const key = this.cache.key({ opts, train: sampleKeys(train), val: sampleKeys(val) });
    const model = buildHead(opts);
    const cached = this.cache.load(key, model);
    let trained: TrainedHead;
    if (cached) trained = { model, ...cached };
    else {
      model.dispose();
      trained = await trainHead(train, val, {
        ...opts,
        onEpoch: (e) =>
          bar?.update(e.epoch, { extra: `val loss ${e.valLoss.toFixed(3)} lr ${e.lr.toExponential(1)}` }),
      });
      this.cache.save(key, trained.model, trained);
    }
    bar?.update(opts.maxEpochs);
    return { ...trained, valIds };
  }

  private trainOptions(kind: HeadKind, seed: number): TrainOptions {
    // the key order is part of the fit cache key (JSON of the options)
    return {
      ...DEFAULT_TRAIN_OPTIONS,
      kind,
      seed,
      mapShape: this.mapShape,
      maxEpochs: kind === "fc" ? this.o.maxEpochs : this.o.mnv3MaxEpochs,
      samplesPerEpoch: kind === "fc" ? 0 : this.o.mnv3SamplesPerEpoch,
      batchSize: 128,
    };
  }
}

/** What a set of samples is, for the fit cache key: each patch's feature key and labels. */
function sampleKeys(xs: Sample[]): string {
  return sha256Hex(xs.map((x) => `${x.features.key}:${x.patch}:${x.cry}:${x.reason}`).join("\n"));
}
