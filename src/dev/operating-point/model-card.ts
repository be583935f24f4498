import type { EpisodeParams } from "../../detection/episodes.js";
import { DEFAULT_ROOM_BUDGET_PER_HOUR } from "../../detection/room-calibration.js";
import type { CrossFit } from "./cross-fit.js";
import { pointName, roomHalvesText } from "./format.js";
import type { RoomTables } from "./room.js";
import type { OperatingPoint, PooledFigures } from "./types.js";

/** The heading of the section calibrate-episode writes into the heads' model card. */
export const OPERATING_POINT_HEADING = "## Operating point in the daemon";

/** Everything the "Operating point in the daemon" section states. */
export interface OperatingPointCard {
  params: EpisodeParams;
  /** files in held-out halves a and b */
  halfSizes: [number, number];
  onsetNs: readonly number[];
  strongs: readonly number[];
  maxFalsePerHour: number;
  maxLatencySec: number;
  /** with `both` defined: the point to ship */
  crossFit: CrossFit & { both: OperatingPoint };
  room: RoomTables[];
  roomNights: readonly number[];
  roomMinutes: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** recall | false episodes per hour | latency, as model-card table cells */
function figures(r: PooledFigures): string {
  return `${pct(r.recall)} (${r.found}/${r.cries}) | ${r.falsePerHour.toFixed(2)} (${r.falseEpisodes} in ${r.nonCryHours.toFixed(2)} h) | ${r.latencyMedianSec.toFixed(2)} s / ${r.latencyP95Sec.toFixed(2)} s`;
}

/** How a `babymon calibrate --budget` reads in the model card. */
export function budgetName(budget: number): string {
  const what =
    budget === 0 ? "the night must raise no episode" : `at most ${budget} episode per hour of the night`;
  return `\`--budget ${budget}\` (${budget === DEFAULT_ROOM_BUDGET_PER_HOUR ? "the default: " : ""}${what})`;
}

/** The model card's tables of room calibration (calibrate-episode --room-nights [--room-parts]), one set per budget. */
export function roomSection(card: OperatingPointCard): string {
  const { onsetK } = card.params;
  const tables = card.room.map(({ budget, whole, parts }) => {
    const partsTable = parts
      ? `
Other moments of the same sources, ${budgetName(budget)}:

| night seed | other half: recall | false episodes / h | latency median / p95 | same half: recall | false episodes / h |
|---|---|---|---|---|---|
| none (cross-fitted starting points) | ${figures(parts.other.start)} | ${pct(parts.same.start.recall)} | ${parts.same.start.falsePerHour.toFixed(2)} |
${parts.other.rows
  .map((o, i) => {
    const same = parts.same.rows[i].r;
    return `| ${o.night} | ${figures(o.r)} | ${pct(same.recall)} (${same.found}/${same.cries}) | ${same.falsePerHour.toFixed(2)} (${same.falseEpisodes}) |`;
  })
  .join("\n")}
`
      : "";
    return `
Whole clips, ${budgetName(budget)}:

| night seed | per half: night episodes at the starting point → calibrated | recall | false episodes / h | latency median / p95 |
|---|---|---|---|---|
${whole.rows.map(({ night, halves, r }) => `| ${night} | ${roomHalvesText(halves, onsetK)} | ${figures(r)} |`).join("\n")}
${partsTable}`;
  });
  return `
**Room calibration, measured** (\`--room-nights ${card.roomNights.join(",")}\`). Each half starts from the operating point chosen
on the other half (cross-fitted row 1 or 2 above), then \`calibrateForRoom\` — what \`babymon calibrate\` runs — sees one
${card.roomMinutes}-min household-only night built from that half's own household recordings (new placement and levels, no
crying), and the raised point is measured on the half's cry mixes; both halves pooled. In the "whole clips" tables the
night and the mixes share recordings: a room's sounds recur, but here as the very same clips, the best case of a real
next night.${
    card.room.some((r) => r.parts)
      ? ` In the "other moments" tables (\`--room-parts\`) every household clip is cut in two halves
(2.5 s each; halves more than 20 dB below their clip are left out), and each half's cry mixes are built again from
either half of the clips (same seeds, so twice the cries and hours). The night hears one half of every clip and the
cry mixes the other half, both ways, pooled: the same cat and the same door at other moments — closer to a real next
night. Their "same half" columns give the night and the cry mixes the same halves of the clips, for comparison on the
same shortened clips; their first row is the cross-fitted starting points, before calibration.`
      : ""
  }
${tables.join("")}`;
}

/** The "Operating point in the daemon" section of the heads' model card. */
export function operatingPointSection(card: OperatingPointCard): string {
  const { params, crossFit: r } = card;
  const { threshold, onsetN, onsetStrong } = r.both;
  const name = (p: OperatingPoint) => pointName(p, params.onsetK);
  const row = (what: string, x: OperatingPoint) => `| ${what} | ${figures(x)} |`;
  const c = r.crossFitted;
  return `${OPERATING_POINT_HEADING}

Written by \`npx tsx scripts/calibrate-episode.ts --cross-fit --write\` (re-run it after every export). The daemon
raises a cry episode when ${params.onsetK} of the last \`onsetN\` windows (0.96 s, hop 0.48 s) exceed the episode
threshold, or when one window reaches \`onsetStrong\` (laughter veto ${params.laughterVeto}, hold ${params.holdSec} s); this
export ships **\`thresholds.episode\` = ${threshold}**, **\`thresholds.onsetN\` = ${onsetN}** and
**\`thresholds.onsetStrong\` = ${onsetStrong}**${onsetStrong >= 1 ? " (off)" : ""} in manifest.json, which the daemon uses unless the owner sets
\`detection.threshold\`, \`detection.onsetN\` or \`detection.onsetStrong\`.

**Procedure.** Only files the heads never trained on (not in \`training.files\`: the hold-out test groups) are
used, split by group into halves a (${card.halfSizes[0]} files) and b (${card.halfSizes[1]} files) (\`src/dev/heldout-split.ts\`; no clip and no
family on both sides). Two 60-min mixes are built from each half (\`src/dev/mix.ts\`: continuous ESC-50 background
at −50…−35 dBFS; Donate-a-Cry cries at 20/10/5/0 dB SNR; household stretches at −35…−20 dBFS, half of them hard
negatives — cat, dog, siren, laughing, coughing, sneezing, snoring, rooster; a few speech stretches). For each
\`onsetN\` in {${card.onsetNs.join(", ")}} and \`onsetStrong\` in {${card.strongs.join(", ")}} (1 = off) the threshold is the lowest on a 0.001 grid
with ≤ ${card.maxFalsePerHour} false episode per hour on the mixes it is chosen on; among the points with a median latency ≤ ${card.maxLatencySec} s
the one that finds the most cries wins (ties: lower latency), else the one that finds the most.
It is chosen on one half and measured on the other, both ways (cross-fitting: the halves hold different household
sources, and a single split hides how much that matters); the shipped point is then chosen on both halves together.
A cry is found when an episode is reported during it (or ≤ 3 s after); latency = report time − the cry's onset.

| operating point (threshold, onset, onsetStrong) chosen on → measured on | recall | false episodes / h | latency median / p95 |
|---|---|---|---|
${row(`half a (${name(r.chosenOnCal)}) → half b`, r.calOnRep)}
${row(`half b (${name(r.chosenOnRep)}) → half a`, r.repOnCal)}
| **cross-fitted, both directions pooled** | **${pct(c.recall)} (${c.found}/${c.cries})** | **${c.falsePerHour.toFixed(2)} (${c.falseEpisodes} in ${c.nonCryHours.toFixed(2)} h)** | **${c.latencyMedianSec.toFixed(2)} s / ${c.latencyP95Sec.toFixed(2)} s** |
${row(`both halves (${name(r.both)}, shipped) → both halves (in-sample)`, r.both)}

False episodes (half a's operating point on half b) by what was playing: ${JSON.stringify(r.calOnRep.falseByLabel)}.
Recall by SNR there: ${JSON.stringify(r.calOnRep.bySnr)}.

**The goal (no episode on household-only stretches) is not met on unseen household sources**: which sounds the
heads take for crying depends on which recordings of sheep, creaking doors or roosters they have heard, so a
threshold that is quiet on one half alarms on the other. \`babymon calibrate\` on a recording of the owner's room
without crying raises the threshold until that recording raises no episode (by default; \`--budget\` can allow some
per hour).
${card.room.length > 0 ? roomSection(card) : ""}`;
}

/** `card` with its operating-point section replaced by `section` (appended when it has none). */
export function withSection(card: string, section: string): string {
  const start = card.indexOf(OPERATING_POINT_HEADING);
  const next = start < 0 ? -1 : card.indexOf("\n## ", start + 1);
  return start < 0
    ? `${card.trimEnd()}\n\n${section}`
    : `${card.slice(0, start)}${section}${next < 0 ? "" : card.slice(next)}`;
}
