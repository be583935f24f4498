import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ci, f3 } from "../report-format.js";
import type { ArchResult, EpochTiming } from "./types.js";

export interface ComparisonInput {
  runDir: string;
  command: string;
  data: string;
  clips: number;
  groups: number;
  budgetMinutes: number;
  smoke: boolean;
  results: ArchResult[];
  epochTimings: EpochTiming[];
  /** archs not evaluated yet (the table is rewritten after each arch) */
  pending: string[];
  seconds: number;
}

const millions = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
const duration = (s: number) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

/** comparison.md: the study's "Results Summary" redone under grouped CV, one row per arch. */
export function comparisonMarkdown(c: ComparisonInput): string {
  const lines = [
    `# Model comparison${c.smoke ? " (SMOKE: tiny widths, a few patches — not figures)" : ""}`,
    "",
    `\`${c.command}\` — ${c.clips} clips in ${c.groups} groups (${c.data}); ${duration(c.seconds)} so far.`,
    "",
    "Grouped CV (every recording family, speaker or source whole in one fold; augmented copies made after the split, from",
    "training clips only), out-of-fold predictions pooled over the folds an arch trained, uncalibrated (sigmoid / softmax",
    "of the logits, the same for every arch). Reasons: clip level (mean of patch probabilities) on cry clips, argmax;",
    "95 % intervals from a bootstrap over groups. Cry ROC AUC: patch level, cry patches vs the negatives' patches",
    "band-limited like the cries (the policy) and full-band. The LEAKY column repeats the study's protocol (copies of one",
    "recording on both sides of a random split) and is **not a real figure**.",
    "",
    "| arch | folds trained | reason macro-F1 [95 % CI] | reason balanced acc. [95 % CI] | reason accuracy (majority baseline) | cry ROC AUC, band-limited neg. | cry ROC AUC, full-band neg. | parameters | multiply-adds / patch | training time here | epoch (patches) | inference ms / patch | LEAKY reason accuracy (not a real figure) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of c.results) {
    const m = r.cvPooled;
    lines.push(
      `| ${r.arch} | ${r.protocol.folds} × ${r.protocol.cvSeeds} | ${ci(m.reasonMacroF1CI)} | ${ci(m.reasonBalancedAccCI)} | ${f3(m.reason.accuracy)} (${f3(m.reasonBaseline.accuracy)}) | ${f3(m.cryPatchAuc)} | ${f3(m.cryPatchAucFullBandNegatives)} | ${millions(r.params)}${r.paramsNote ? "¹" : ""} | ${millions(r.multiplyAdds)}${r.paramsNote ? "¹" : ""} | ${duration(r.trainSeconds)} | ${Number.isFinite(r.epochSeconds) ? `${r.epochSeconds.toFixed(1)} s (${r.epochSamples.toFixed(0)})` : "—"} | ${f3(r.inferenceMsPerPatch)} (${r.inferenceBackend}) | ${r.leaky ? f3(r.leaky.reasonAccuracy) : "—"} |`,
    );
  }
  for (const p of c.pending) lines.push(`| ${p} | not run yet | | | | | | | | | | | |`);
  const noted = c.results.filter((r) => r.paramsNote);
  if (noted.length) {
    lines.push("", `¹ ${[...new Set(noted.map((r) => r.paramsNote))].join("; ")}.`);
  }
  lines.push("", "## Protocol and budget per arch", "");
  for (const r of c.results) {
    lines.push(
      `- **${r.arch}**: ${r.protocol.note}. Recipe: ${r.recipe}. ${r.fits} fits, ${r.fitsStoppedByBudget} ended by the time budget; best epochs ${r.bestEpochs.join(", ")}.`,
    );
  }
  if (c.budgetMinutes > 0 && !c.smoke) {
    lines.push(
      "",
      `Budget: the patch archs shared ${c.budgetMinutes} min of training on this 2-core machine (shared with other work, \`nice -n 10\`); each arch's share is split evenly over its fits, and each fit's epoch size is set from its measured training throughput so that about six epochs fit. These are budget-limited figures, far from the epochs the study trained; rerun with a larger \`--budget-minutes\` (or on a GPU workstation with @tensorflow/tfjs-node-gpu) for converged ones.`,
    );
  }
  if (c.epochTimings.length) {
    lines.push("", "## One training epoch per backend", "");
    lines.push(
      "Forward, backward and Adam step on random patches, timed after a warm-up batch and scaled to the epoch (the cpu backend's conv gradients are too slow to time a whole epoch here).",
      "",
      "| arch | width | epoch (patches) | backend | seconds per epoch | patches/s | patches timed |",
      "|---|---|---|---|---|---|---|",
    );
    for (const t of c.epochTimings) {
      for (const [b, s] of Object.entries(t.seconds))
        lines.push(
          `| ${t.arch} | ×${t.width ?? 1} | ${t.patches} | ${b}${b === "wasm" ? " + babymon's gradient kernels" : ""} | ${s.toFixed(1)} | ${(t.patches / s).toFixed(2)} | ${t.measuredPatches[b]} |`,
        );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Writes comparison.md and comparison.json into the run folder. */
export function writeComparison(c: ComparisonInput): void {
  writeFileSync(join(c.runDir, "comparison.md"), comparisonMarkdown(c));
  const rows = c.results.map((r) => {
    const m = r.cvPooled;
    return {
      arch: r.arch,
      protocol: r.protocol,
      recipe: r.recipe,
      reasonMacroF1: m.reasonMacroF1CI,
      reasonBalancedAccuracy: m.reasonBalancedAccCI,
      reasonAccuracy: m.reason.accuracy,
      majorityBaselineAccuracy: m.reasonBaseline.accuracy,
      reasonPriorCorrectedMacroF1: m.reasonPriorCorrectedMacroF1CI,
      cryPatchAucBandLimitedNegatives: m.cryPatchAuc,
      cryPatchAucFullBandNegatives: m.cryPatchAucFullBandNegatives,
      cryClipAuc: m.cryClipAucCI,
      params: r.params,
      multiplyAddsPerPatch: r.multiplyAdds,
      paramsNote: r.paramsNote,
      trainSeconds: r.trainSeconds,
      epochSeconds: r.epochSeconds,
      epochSamples: r.epochSamples,
      inferenceMsPerPatch: r.inferenceMsPerPatch,
      inferenceBackend: r.inferenceBackend,
      leakyProtocolNotARealFigure: r.leaky,
      folds: r.folds,
      cryClips: m.cryClips,
      clips: m.clips,
      patches: m.patches,
    };
  });
  const json = {
    command: c.command,
    data: c.data,
    smoke: c.smoke,
    budgetMinutes: c.budgetMinutes,
    seconds: c.seconds,
    archs: rows,
    pending: c.pending,
    epochTimings: c.epochTimings,
  };
  writeFileSync(join(c.runDir, "comparison.json"), `${JSON.stringify(json, null, 2)}\n`);
}
