import { LAUGHTER_CLASSES } from "../../detection/veto.js";
import { WINDOW_SEC } from "../../detection/windows.js";
import { YAMNET_CRY_CLASSES } from "../../dsp/frontend-params.js";
import type { YamnetModel } from "../../inference/yamnet.js";
import type { FoldFeatures } from "./features.js";
import type { ScoredFold } from "./operating-point.js";
import type { BenchWindow } from "./types.js";

/** YAMNet's cry and laughter scores of every window of a fold, in one bandwidth. */
export interface YamnetWindowScores {
  cry: Float32Array;
  laughter: Float32Array;
}

export function yamnetWindowScores(
  yamnet: YamnetModel,
  f: FoldFeatures,
  band: "full" | "limited",
): YamnetWindowScores {
  const n = f.windows;
  const emb = band === "full" ? f.fullEmbedding : f.limitedEmbedding;
  const cry = new Float32Array(n);
  const laughter = new Float32Array(n);
  const step = 512;
  for (let s = 0; s < n; s += step) {
    const m = Math.min(step, n - s);
    const scores = yamnet.scoresOfEmbeddings(emb.subarray(s * 1024, (s + m) * 1024), m);
    for (let i = 0; i < m; i++) {
      let c = 0;
      for (const k of YAMNET_CRY_CLASSES) c = Math.max(c, scores[i * 521 + k]);
      let l = 0;
      for (const k of LAUGHTER_CLASSES) l = Math.max(l, scores[i * 521 + k]);
      cry[s + i] = c;
      laughter[s + i] = l;
    }
  }
  return { cry, laughter };
}

/** A fold as one score sees it: that score as `cry`, with YAMNet's cry and laughter scores of `yamnetBand`. */
export function scoredFold(f: FoldFeatures, cry: ArrayLike<number>, yamnet: YamnetWindowScores): ScoredFold {
  const windows: BenchWindow[] = [];
  for (let i = 0; i < f.windows; i++) {
    windows.push({
      startSec: f.startSec[i],
      endSec: f.startSec[i] + WINDOW_SEC,
      cry: cry[i],
      yamnetCry: yamnet.cry[i],
      laughter: yamnet.laughter[i],
    });
  }
  return { fold: f.info.fold, windows, events: f.info.events, durationSec: f.info.durationSec };
}
