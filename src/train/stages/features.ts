import { YAMNET_CLASS_COUNT, yamnetLogitsInto } from "../../inference/heads.js";
import { YamnetModel } from "../../inference/yamnet.js";
import { activeCryPatches, patchLevelsDb } from "../activity.js";
import {
  applyAugmentation,
  applyQuietLevel,
  planFoldAugmentations,
  planQuietCopies,
  type QuietCopy,
  type WaveAugmentation,
} from "../augment.js";
import { applyBandLimit, type ClipFeatures, FeatureExtractor } from "../features.js";
import type { RunProgress } from "../progress.js";
import type { Sample } from "../sample.js";
import type { AugCopy, RunClip, TrainExportOptions } from "../types.js";
import { checkClasses, clipAudio16k, type RunData } from "./data.js";
import { foldOfClip, type RunSplits } from "./splits.js";

/** YAMNet and the features of every clip and augmented copy of the run. */
export interface RunFeatures {
  yamnet: YamnetModel;
  extractor: FeatureExtractor;
  /** shape of the feature map the MobileNetV3 head reads */
  mapShape: [number, number, number];
  /** ids of the clips that have features (the rest failed to decode and are in `skipped`) */
  usable: Set<number>;
  /** the augmented copies for CV seed `s`: its noise-mixed copies and the quiet copies; null when none */
  copiesFor: (s: number) => AugCopy[] | null;
  /** YAMNet's class logits of each sample's patch (n × 521), from the cached embeddings */
  yamnetLogits: (samples: Sample[]) => Float32Array;
  extractSeconds: number;
}

type FeatureOptions = Pick<
  TrainExportOptions,
  | "yamnetDir"
  | "backend"
  | "featureLayer"
  | "patchStride"
  | "cacheDir"
  | "bandLimitHz"
  | "augment"
  | "augmentNegatives"
  | "quietCopies"
  | "seeds"
  | "mnv3Seeds"
  | "seed"
  | "cryActiveDb"
  | "data"
  | "log"
>;

/**
 * Stage 3, features: loads YAMNet and extracts (or reads from the feature cache) the features of every clip —
 * band-limited, and full-band for the negatives — and of the augmented copies planned on the training side of
 * each CV fold assignment; then marks which patches of the cry clips hold crying. Sets `feats`, `featsFull` and
 * `active` on the clips; files that fail to decode join `data.skipped`.
 */
export async function extractFeatures(
  data: RunData,
  splits: RunSplits,
  o: FeatureOptions,
  progress: RunProgress,
): Promise<RunFeatures> {
  const { clips, skipped } = data;
  const log = o.log;
  const yamnet = await YamnetModel.load(o.yamnetDir, { backend: o.backend, log });
  const extractor = new FeatureExtractor(yamnet, {
    featureLayer: o.featureLayer,
    patchStride: o.patchStride,
    cacheDir: o.cacheDir,
  });
  const policy = o.bandLimitHz > 0 ? `bl${o.bandLimitHz}` : "full";
  const cvSeeds = Math.max(o.seeds, o.mnv3Seeds);
  // augmentation plans, one per CV seed: noise from household clips in the same CV fold, so the noise is
  // on the training side whenever the cry clip is (and never from the test split).
  const augPlans: WaveAugmentation[][] = [];
  if (o.augment) {
    for (let s = 0; s < cvSeeds; s++) {
      augPlans.push(
        planFoldAugmentations(
          clips,
          splits.trainDev,
          foldOfClip(splits, s),
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
    o.quietCopies === "none" ? [] : planQuietCopies(clips, splits.trainDev, o.seed * 4391 + 7, o.quietCopies);
  const byRel = new Map(clips.map((c) => [c.relPath, c]));

  const wantsFullBand = (c: RunClip) => !c.isCry && c.path !== null && o.bandLimitHz > 0;
  const exBar = progress.bar(
    "extract",
    clips.length +
      clips.filter(wantsFullBand).length +
      augPlans.reduce((a, p) => a + p.length, 0) +
      quietPlan.length,
  );
  const tick = () => exBar?.increment(1, { extra: `cache ${extractor.hits} hit / ${extractor.misses} new` });
  const tEx = performance.now();
  for (const c of clips) {
    try {
      c.feats = await extractor.get(c.sha256, policy, async () =>
        applyBandLimit(await clipAudio16k(c), o.bandLimitHz),
      );
      if (wantsFullBand(c)) {
        c.featsFull = await extractor.get(c.sha256, "full", () => clipAudio16k(c));
        exBar?.increment();
      }
    } catch (err) {
      skipped.push({ file: c.relPath, error: (err as Error).message });
      log(`Skipping ${c.relPath}: ${(err as Error).message}`);
    }
    tick();
  }
  const usable = new Set(clips.filter((c) => c.feats).map((c) => c.id));
  checkClasses(clips, usable, o.data);
  const augCopies: AugCopy[][] = [];
  for (const plan of augPlans) {
    const copies: AugCopy[] = [];
    for (const aug of plan) {
      const src = byRel.get(aug.source)!;
      const noise = aug.noise ? byRel.get(aug.noise)! : null;
      tick();
      if (!usable.has(src.id) || (noise && !usable.has(noise.id))) continue;
      try {
        const variant = `aug:${noise?.sha256 ?? "none"}:${aug.gainDb.toFixed(4)}:${aug.shift}:${aug.snrDb.toFixed(4)}:${aug.noiseOffset}:${policy}`;
        const feats = await extractor.get(src.sha256, variant, async () =>
          applyBandLimit(
            applyAugmentation(await clipAudio16k(src), noise ? await clipAudio16k(noise) : null, aug),
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
    tick();
    if (!usable.has(src.id)) continue;
    try {
      const variant = `quiet:${q.levelDbfs.toFixed(4)}:${q.shift}:${policy}`;
      const feats = await extractor.get(src.sha256, variant, async () =>
        applyBandLimit(applyQuietLevel(await clipAudio16k(src), q), o.bandLimitHz),
      );
      quietCopies.push({ clip: src.id, aug: q, feats });
    } catch (err) {
      log(`Skipping quiet copy of ${q.source}: ${(err as Error).message}`);
    }
  }
  if (o.cryActiveDb > 0)
    await labelCryActivity(clips, [...augCopies.flat(), ...quietCopies], o.patchStride, o.cryActiveDb, log);
  progress.remove(exBar);
  const extractSeconds = (performance.now() - tEx) / 1000;
  log(
    `Features: ${extractor.hits} cached, ${extractor.misses} computed in ${extractSeconds.toFixed(1)} s (layer ${o.featureLayer} ${extractor.mapShape.join("×")}, every ${o.patchStride}. patch)`,
  );
  return {
    yamnet,
    extractor,
    mapShape: extractor.mapShape,
    usable,
    copiesFor: (s) =>
      augCopies[s] || quietCopies.length > 0 ? [...(augCopies[s] ?? []), ...quietCopies] : null,
    yamnetLogits: yamnetLogitsOf(yamnet),
    extractSeconds,
  };
}

/**
 * Marks which patches of every cry clip and of every augmented cry copy hold crying (src/train/activity.ts),
 * from the clean audio (a copy is the clip circularly shifted, so its quiet patches are the clip's, shifted).
 */
async function labelCryActivity(
  clips: RunClip[],
  copies: AugCopy[],
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
    const audio = await clipAudio16k(c);
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

/** YAMNet's class logits of samples' patches, computed once per clip's features from its cached embeddings. */
function yamnetLogitsOf(yamnet: YamnetModel): (samples: Sample[]) => Float32Array {
  const byFeatures = new WeakMap<ClipFeatures, Float32Array>();
  return (samples) => {
    const out = new Float32Array(samples.length * YAMNET_CLASS_COUNT);
    samples.forEach((x, i) => {
      let logits = byFeatures.get(x.features);
      if (!logits) {
        const f = x.features;
        const scores = yamnet.scoresOfEmbeddings(f.embeddings, f.patches);
        logits = new Float32Array(scores.length);
        for (let p = 0; p < f.patches; p++)
          yamnetLogitsInto(scores.subarray(p * YAMNET_CLASS_COUNT), logits, p * YAMNET_CLASS_COUNT);
        byFeatures.set(f, logits);
      }
      out.set(
        logits.subarray(x.patch * YAMNET_CLASS_COUNT, (x.patch + 1) * YAMNET_CLASS_COUNT),
        i * YAMNET_CLASS_COUNT,
      );
    });
    return out;
  };
}
