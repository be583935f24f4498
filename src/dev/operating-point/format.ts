import type { EpisodeParams } from "../../detection/episodes.js";
import { scoreMix } from "../mix-eval.js";
import type { OperatingPointGrid } from "./choose.js";
import type { CrossFit } from "./cross-fit.js";
import { onsetOf, pooled } from "./pooling.js";
import type { PartPairs, RoomHalfResult, RoomMeasurement } from "./room.js";
import type { Half, OperatingPoint, PooledFigures, ScoredMix } from "./types.js";

/** "recall … | false … = …/h | latency median … s[ p95 … s]" */
export function figuresLine(r: PooledFigures, p95 = true): string {
  return (
    `recall ${(100 * r.recall).toFixed(1)} % (${r.found}/${r.cries}) | false ${r.falseEpisodes} in ${r.nonCryHours.toFixed(2)} h = ${r.falsePerHour.toFixed(2)}/h | ` +
    `latency median ${r.latencyMedianSec.toFixed(2)} s${p95 ? ` p95 ${r.latencyP95Sec.toFixed(2)} s` : ""}`
  );
}

/** One operating point and its figures on one line. */
export function pointLine(r: OperatingPoint, onsetK: number): string {
  return `thr ${r.threshold.toFixed(3)} onset ${onsetK}/${r.onsetN}${r.onsetStrong < 1 ? ` strong ${r.onsetStrong}` : ""} support ${r.yamnetSupport} | ${figuresLine(r)}`;
}

/** threshold, onset k/n and (when on) onsetStrong */
export function pointName(p: OperatingPoint, onsetK: number): string {
  return `${p.threshold}, ${onsetK} of ${p.onsetN}${p.onsetStrong < 1 ? `, strong ${p.onsetStrong}` : ""}`;
}

/** What a mix holds: its length, events, cries and time without crying. */
export function mixLine(s: ScoredMix): string {
  const kinds: Record<string, number> = {};
  for (const e of s.mix.events) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  const cries = s.mix.events.filter((e) => e.kind === "cry");
  const others = s.mix.events.filter((e) => e.kind !== "cry");
  return (
    `mix seed ${s.seed} half ${s.half}: ${(s.mix.durationSec / 60).toFixed(0)} min, events ${JSON.stringify(kinds)}, ` +
    `${cries.length} cries from ${new Set(cries.map((c) => c.source)).size} files at ${s.mix.options.snrsDb.join("/")} dB SNR, ` +
    `${(others.reduce((t, e) => t + e.end - e.start, 0) / 60).toFixed(1)} min of household/laughter/speech events, ` +
    `${scoreMix([], s.mix.events, s.mix.durationSec).nonCryHours.toFixed(2)} h without crying\n`
  );
}

/** Where a report mix set is measured, for section titles. */
export interface ReportSide {
  seeds: readonly number[];
  half: Half;
}

/** A report section: the point on the report mixes pooled, by SNR and what was playing, then per mix. */
export function reportBlock(
  title: string,
  report: readonly ScoredMix[],
  params: EpisodeParams,
  point: { threshold: number; yamnetSupport: number },
): string {
  const at = (sets: readonly ScoredMix[]) =>
    pooled(sets, params, point.threshold, onsetOf(params), point.yamnetSupport);
  const r = at(report);
  return (
    `${title}\n${pointLine(r, params.onsetK)}\n` +
    `   recall by SNR ${JSON.stringify(r.bySnr)}; false by ${JSON.stringify(r.falseByLabel)}\n` +
    report.map((s) => `   seed ${s.seed}: ${pointLine(at([s]), params.onsetK)}\n`).join("")
  );
}

export const reportTitle = (side: ReportSide) =>
  `-- report (seeds ${side.seeds.join(",")}, half ${side.half})`;

/** The cross-fit section of the output (or why there is none). */
export function crossFitText(
  c: CrossFit | undefined,
  halves: { cal: Half; rep: Half },
  grid: OperatingPointGrid,
  onsetK: number,
): string {
  if (c === undefined)
    return `cross-fit: no operating point reaches ≤ ${grid.maxFalsePerHour} false episodes/h on one half\n`;
  const name = (p: OperatingPoint) => pointName(p, onsetK);
  const line = (p: OperatingPoint) => pointLine(p, onsetK);
  return (
    `-- cross-fit (onsetN grid ${grid.onsetNs.join(", ")}, onsetStrong grid ${grid.strongs.join(", ")}, median latency ≤ ${grid.maxLatencySec} s preferred)\n` +
    `chosen on half ${halves.cal}: ${name(c.chosenOnCal)}; on half ${halves.rep}: ${line(c.calOnRep)}\n   false by ${JSON.stringify(c.calOnRep.falseByLabel)}\n` +
    `chosen on half ${halves.rep}: ${name(c.chosenOnRep)}; on half ${halves.cal}: ${line(c.repOnCal)}\n   false by ${JSON.stringify(c.repOnCal.falseByLabel)}\n` +
    `cross-fitted (pooled over both directions): ${figuresLine(c.crossFitted)}\n` +
    (c.both === undefined
      ? "no operating point reaches the budget on both halves together\n"
      : `chosen on both halves together (to ship): ${name(c.both)}; there: ${line(c.both)}\n`)
  );
}

/** One half's room calibration on one night: "half a: 3 night episodes at … → …". */
export function roomHalfText(h: RoomHalfResult, onsetK: number): string {
  const p = h.measuredAt;
  return `half ${h.half}${h.nightPart === undefined ? "" : ` (night part ${h.nightPart})`}: ${h.nightEpisodes} night episodes at ${pointName(h.start, onsetK)} → ${h.calibrated ? "" : "none within the budget, measured at "}${p.threshold}${p.onsetStrong < 1 ? `, strong ${p.onsetStrong}` : ", strong off"}`;
}

export const roomHalvesText = (halves: readonly RoomHalfResult[], onsetK: number) =>
  halves.map((h) => roomHalfText(h, onsetK)).join("; ");

const pairNames = (pairs: PartPairs) =>
  pairs
    .map((p) => (p.night === undefined ? "whole clips" : `night part ${p.night}, cry mixes part ${p.test}`))
    .join(" + ");

/** One room-calibration measurement: the starting points, then each night. */
export function roomText(m: RoomMeasurement, roomMinutes: number, onsetK: number): string {
  return (
    `-- room calibration (budget ${m.budget}/h, ${roomMinutes}-min household-only nights; ${pairNames(m.pairs)})\n` +
    `   starting points on these cry mixes: ${figuresLine(m.start, false)}\n` +
    m.rows
      .map(
        ({ night, halves, r }) =>
          `night ${night}: ${roomHalvesText(halves, onsetK)}\n   ${figuresLine(r)} | false by ${JSON.stringify(r.falseByLabel)}\n`,
      )
      .join("")
  );
}
