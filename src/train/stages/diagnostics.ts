import { singleHead } from "../combination.js";
import { evaluateSet, predictionsOfSamples, toHeadLogits } from "../evaluate.js";
import type { HeadFitter } from "../head-fitter.js";
import { rocAuc } from "../metrics.js";
import { mulberry32, shuffleInPlace } from "../random.js";
import type { Logits, Sample } from "../sample.js";
import { augSamples, samplesOf } from "../samples.js";
import { predictLogits } from "../trainer.js";
import type {
  AugCopy,
  EvaluationBasis,
  LeakyFigures,
  RunClip,
  ShortcutFigures,
  TrainExportOptions,
} from "../types.js";
import type { TestEvaluation } from "./final-heads.js";

export interface ShortcutInput {
  finalIds: number[];
  test: Pick<TestEvaluation, "samples" | "fullSamples" | "isCry">;
  fitter: HeadFitter;
  mapShape: [number, number, number];
  o: Pick<TrainExportOptions, "seed" | "log">;
}

/**
 * Stage 7a, bandwidth shortcut demonstration: the same FC head trained WITHOUT the band-limiting policy
 * (full-band negatives, 8 kHz cries), scored on the test patches with full-band and with band-limited negatives.
 */
export async function bandwidthShortcut(input: ShortcutInput): Promise<ShortcutFigures> {
  const { finalIds, test, fitter, mapShape, o } = input;
  const trained = await fitter.fit({
    kind: "fc",
    trainIds: finalIds,
    seed: o.seed * 100 + 98,
    copies: null,
    showEpochs: true,
    which: "featsFull",
  });
  const a = predictLogits(trained.model, "fc", test.fullSamples, mapShape);
  const b = predictLogits(trained.model, "fc", test.samples, mapShape);
  trained.model.dispose();
  const shortcut = {
    fullBandNegatives: rocAuc(a.cry, test.isCry),
    bandLimitedNegatives: rocAuc(b.cry, test.isCry),
  };
  o.log(
    `Shortcut check (FC head trained on full-band negatives, test patches): AUC ${shortcut.fullBandNegatives.toFixed(4)} with full-band negatives, ${shortcut.bandLimitedNegatives.toFixed(4)} with band-limited negatives`,
  );
  return shortcut;
}

export interface LeakyInput {
  clips: RunClip[];
  finalIds: number[];
  copies: AugCopy[];
  basis: EvaluationBasis;
  fitter: HeadFitter;
  mapShape: [number, number, number];
  o: Pick<TrainExportOptions, "seed">;
}

/** Trains a model on clips `trainIds` (+ `copies`) and returns its logits on samples (the model disposed after). */
export type FitAndPredict = (
  trainIds: number[],
  copies: AugCopy[] | null,
  seed: number,
) => Promise<(samples: Sample[]) => Logits>;

/**
 * Stage 7b, the LEAKY protocol, for comparison with the original research only: items are original clips and
 * augmented copies alike, split at random (80/20) with no regard for groups or for which copy came from which
 * recording — the original research's protocol.
 */
export async function leakyProtocol(input: LeakyInput): Promise<LeakyFigures> {
  const { fitter, mapShape } = input;
  return leakyProtocolWith(input, async (trainIds, copies, seed) => {
    const trained = await fitter.fit({ kind: "fc", trainIds, seed, copies });
    return (samples) => {
      const l = predictLogits(trained.model, "fc", samples, mapShape);
      trained.model.dispose();
      return l;
    };
  });
}

/** The leaky protocol with any model: `fit` trains it on the leaky training side, its logits score the rest. */
export async function leakyProtocolWith(
  input: Pick<LeakyInput, "clips" | "finalIds" | "copies" | "basis" | "o">,
  fit: FitAndPredict,
  /** which of the held-out patches are scored (default all) */
  scored: (samples: Sample[]) => Sample[] = (s) => s,
): Promise<LeakyFigures> {
  const { clips, finalIds, copies, basis, o } = input;
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
  const predict = await fit(trainBase, trainCopies.length ? trainCopies : null, o.seed + 4243);
  const evalSamples: Sample[] = [];
  let virtual = clips.length;
  const infos = [...basis.clips];
  for (const x of testItems) {
    if (x.copy < 0) evalSamples.push(...samplesOf(clips, [x.id]));
    else {
      const c = clips[x.id];
      infos.push({ group: `copy:${virtual}`, isCry: true, reason: c.reason });
      for (const s of augSamples(clips, [copies[x.copy]], new Set([x.id])))
        evalSamples.push({ ...s, clip: virtual });
      virtual++;
    }
  }
  const kept = scored(evalSamples);
  const l = predict(kept);
  const m = evaluateSet({
    preds: predictionsOfSamples(toHeadLogits(l, l), singleHead("fc"), kept),
    ...basis,
    clips: infos,
    cryThreshold: 0.5,
    unsureThreshold: 0.5,
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
