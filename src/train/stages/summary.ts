import type { SetMetrics } from "../evaluate.js";
import { meanStd } from "../metrics.js";
import type {
  FoldResult,
  FoldStat,
  HeadFoldFigures,
  LeakyFigures,
  RunSummary,
  SetSummary,
  ShortcutFigures,
  TrainExportOptions,
} from "../types.js";

export interface SummaryInput {
  /** every head alone and the combination, per CV seed and fold */
  folds: FoldResult[];
  cvPooled: SetMetrics;
  cvPooledByHead: Record<string, SetMetrics>;
  test: SetMetrics;
  shortcut: ShortcutFigures | null;
  leaky: LeakyFigures | null;
  o: Pick<TrainExportOptions, "folds" | "seeds" | "mnv3Seeds" | "testFraction">;
}

/** Stage 8, summary: the run's headline figures (manifest.json `metrics`, metrics.json `summary`). */
export function summarize(input: SummaryInput): RunSummary {
  const { folds, cvPooled, cvPooledByHead: byHead, test, shortcut, leaky, o } = input;
  const decision = (head: FoldResult["head"], m: SetMetrics) =>
    head === "combined" ? m.reasonPriorCorrected : m.reason;
  const per = (head: FoldResult["head"], f: (m: SetMetrics) => number | null) =>
    stat(folds.filter((r) => r.head === head).map((r) => f(r.metrics) ?? Number.NaN));
  const perHead = (head: FoldResult["head"]): HeadFoldFigures => ({
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
  const brief = (m: SetMetrics): SetSummary => ({
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

function stat(values: number[]): FoldStat {
  const { mean, std } = meanStd(values);
  return { mean, std, perFold: values };
}
