import { join } from "node:path";
import { detectionForModels, loadAnalyzer } from "../../app.js";
import { loadConfig } from "../../config/load.js";
import { type EpisodeParams, resolveDetection } from "../../detection/episodes.js";
import { createLogger } from "../../logging.js";
import { heldOutHalves } from "../heldout-split.js";
import { crossFit } from "./cross-fit.js";
import { crossFitText, mixLine, roomText } from "./format.js";
import { readTrainingFiles, writeOperatingPoint } from "./heads-files.js";
import { HeldOutMixes } from "./held-out-mixes.js";
import { operatingPointSection } from "./model-card.js";
import type { CalibrateEpisodeOptions } from "./options.js";
import { measureRoomTables } from "./room.js";
import { type Split, supportSplitText, thresholdSplitText } from "./split-report.js";
import type { Half, ScoredMix } from "./types.js";

/** What one run has loaded: the held-out split, the analyzer's episode parameters, the mixes. */
interface Loaded {
  halves: [Set<string>, Set<string>];
  calHalf: Half;
  repHalf: Half;
  params: EpisodeParams;
  mixes: HeldOutMixes;
}

/**
 * scripts/calibrate-episode.ts: scores the held-out mixes, chooses the episode operating point on one half and
 * reports it on the other (and, with `crossFit`, both ways, with room calibration and the heads' files written
 * when asked). Everything it prints goes to `out`.
 */
export async function runCalibrateEpisode(
  o: CalibrateEpisodeOptions,
  out: (text: string) => void,
): Promise<void> {
  const trainingFiles = readTrainingFiles(join(o.headsDir, "manifest.json"));
  const halves = heldOutHalves(trainingFiles);
  const [calHalf, repHalf]: [Half, Half] = o.swap ? ["b", "a"] : ["a", "b"];
  const { config } = loadConfig({
    env: {},
    overrides: {
      "inference.scoreSource": o.scoreSource,
      ...(o.scoreSource === "heads" ? { "inference.headsDir": o.headsDir } : {}),
    },
  });
  const analyzer = await loadAnalyzer(config.inference, createLogger({ level: "warn" }, 2));
  const params: EpisodeParams =
    o.scoreSource === "heads"
      ? resolveDetection(config.detection, "heads") // the code default, not a threshold the manifest already ships
      : detectionForModels(config.detection, {}, analyzer);
  const mixes = new HeldOutMixes({
    trainingFiles,
    halves,
    analyzer,
    hopSec: config.windows.hopSec,
    params,
    minutes: o.minutes,
    roomMinutes: o.roomMinutes,
  });
  const loaded: Loaded = { halves, calHalf, repHalf, params, mixes };
  try {
    const scoredMixes = async (seeds: readonly number[], half: Half) => {
      const sets: ScoredMix[] = [];
      for (const seed of seeds) sets.push(await mixes.cryMix(seed, half));
      return sets;
    };
    const split: Split = {
      calibration: await scoredMixes(o.calibrateSeeds, calHalf),
      report: await scoredMixes(o.reportSeeds, repHalf),
      reportSide: { seeds: o.reportSeeds, half: repHalf },
      params,
      maxFalsePerHour: o.maxFalsePerHour,
    };
    out(
      `score ${analyzer.models.heads ?? "yamnet"}; onset ${params.onsetK}/${params.onsetN}, strong ${params.onsetStrong}, laughter veto ${params.laughterVeto}, hold ${params.holdSec} s\n` +
        `held-out files: half a ${halves[0].size}, half b ${halves[1].size}; calibrate on half ${calHalf}, report on half ${repHalf}\n`,
    );
    for (const s of [...split.calibration, ...split.report]) out(mixLine(s));
    out(thresholdSplitText(split));
    if (o.crossFit) await crossFitRun(o, loaded, split, out);
    out(supportSplitText(split, o.supportGrid));
  } finally {
    analyzer.dispose();
  }
}

/** `--cross-fit`: the point chosen both ways, room calibration (`--room-nights`), the heads' files (`--write`). */
async function crossFitRun(
  o: CalibrateEpisodeOptions,
  { halves, calHalf, repHalf, params, mixes }: Loaded,
  { calibration, report }: Split,
  out: (text: string) => void,
): Promise<void> {
  const grid = {
    onsetNs: o.onsetNGrid,
    strongs: o.strongGrid,
    maxFalsePerHour: o.maxFalsePerHour,
    maxLatencySec: o.maxLatencySec,
  };
  const c = crossFit(calibration, report, params, grid);
  out(crossFitText(c, { cal: calHalf, rep: repHalf }, grid, params.onsetK));
  if (c === undefined) return;
  const room =
    o.roomNights.length === 0
      ? []
      : await measureRoomTables(
          {
            mixes,
            params,
            // each half starts from the point chosen on the other half
            halves: [
              { half: calHalf, whole: calibration, start: c.chosenOnRep },
              { half: repHalf, whole: report, start: c.chosenOnCal },
            ],
            nights: o.roomNights,
          },
          o.roomBudgets,
          o.roomParts,
          (m) => out(roomText(m, o.roomMinutes, params.onsetK)),
        );
  const { both } = c;
  if (!o.write || both === undefined || o.scoreSource !== "heads") return;
  const section = operatingPointSection({
    params,
    halfSizes: [halves[0].size, halves[1].size],
    ...grid,
    crossFit: { ...c, both },
    room,
    roomNights: o.roomNights,
    roomMinutes: o.roomMinutes,
  });
  const { manifestFile, cardFile } = writeOperatingPoint(o.headsDir, both, section);
  out(
    `wrote thresholds.episode = ${both.threshold}, onsetN = ${both.onsetN}, onsetStrong = ${both.onsetStrong} to ${manifestFile} and the operating point to ${cardFile}\n`,
  );
}
