import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_ROOM_BUDGET_PER_HOUR } from "../../detection/room-calibration.js";

/** scripts/calibrate-episode.ts's flags and their defaults (node:util parseArgs). */
export const CALIBRATE_EPISODE_FLAGS = {
  heads: { type: "string", default: "models/babymon-heads" },
  "calibrate-seeds": { type: "string", default: "1,3" },
  "report-seeds": { type: "string", default: "4,2" },
  minutes: { type: "string", default: "60" },
  "max-false-per-hour": { type: "string", default: "1" },
  "score-source": { type: "string", default: "heads" },
  swap: { type: "boolean", default: false },
  "cross-fit": { type: "boolean", default: false },
  write: { type: "boolean", default: false },
  "support-grid": { type: "string", default: "0" },
  "strong-grid": { type: "string", default: "1,0.999,0.998,0.995" },
  "onset-n-grid": { type: "string", default: "4,5,6" },
  "max-latency": { type: "string", default: "2" },
  "room-nights": { type: "string", default: "" },
  "room-minutes": { type: "string", default: "60" },
  "room-parts": { type: "boolean", default: false },
  "room-budgets": { type: "string" },
} as const;

/** What one calibrate-episode run does (see scripts/calibrate-episode.ts for each flag). */
export interface CalibrateEpisodeOptions {
  /** absolute path of the heads export */
  headsDir: string;
  calibrateSeeds: number[];
  reportSeeds: number[];
  minutes: number;
  maxFalsePerHour: number;
  scoreSource: "heads" | "yamnet";
  /** calibrate on half b, report on half a */
  swap: boolean;
  crossFit: boolean;
  write: boolean;
  supportGrid: number[];
  strongGrid: number[];
  onsetNGrid: number[];
  maxLatencySec: number;
  roomNights: number[];
  roomMinutes: number;
  roomParts: boolean;
  roomBudgets: number[];
}

const numbers = (s: string) => s.split(",").map(Number);

/** Parses and checks calibrate-episode's command line (`args` without node and the script). */
export function parseCalibrateEpisodeArgs(args: string[]): CalibrateEpisodeOptions {
  const { values } = parseArgs({ args, options: CALIBRATE_EPISODE_FLAGS });
  const scoreSource = values["score-source"];
  if (scoreSource !== "heads" && scoreSource !== "yamnet")
    throw new Error(`Expected \`--score-source\` to be heads or yamnet, got ${scoreSource}`);
  const maxFalsePerHour = Number(values["max-false-per-hour"]);
  const strongGrid = numbers(values["strong-grid"]);
  if (strongGrid.some((x) => !(x > 0 && x <= 1)))
    throw new Error(`Expected \`--strong-grid\` to list numbers in (0, 1], got ${values["strong-grid"]}`);
  const onsetNGrid = numbers(values["onset-n-grid"]);
  if (onsetNGrid.some((n) => !Number.isInteger(n) || n < 1 || n > 20))
    throw new Error(`Expected \`--onset-n-grid\` to list integers 1–20, got ${values["onset-n-grid"]}`);
  const roomBudgets = values["room-budgets"]
    ? numbers(values["room-budgets"])
    : [...new Set([DEFAULT_ROOM_BUDGET_PER_HOUR, maxFalsePerHour])];
  if (roomBudgets.some((b) => !(b >= 0)))
    throw new Error(`Expected \`--room-budgets\` to list numbers ≥ 0, got ${values["room-budgets"]}`);
  return {
    headsDir: resolve(values.heads),
    calibrateSeeds: numbers(values["calibrate-seeds"]),
    reportSeeds: numbers(values["report-seeds"]),
    minutes: Number(values.minutes),
    maxFalsePerHour,
    scoreSource,
    swap: values.swap,
    crossFit: values["cross-fit"],
    write: values.write,
    supportGrid: numbers(values["support-grid"]),
    strongGrid,
    onsetNGrid,
    maxLatencySec: Number(values["max-latency"]),
    roomNights: values["room-nights"] ? numbers(values["room-nights"]) : [],
    roomMinutes: Number(values["room-minutes"]),
    roomParts: values["room-parts"],
    roomBudgets,
  };
}
