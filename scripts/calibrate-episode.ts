/**
 * Chooses the episode threshold of a heads export on one half of its held-out files and reports it on the other:
 * the files the heads never saw (not in manifest.training.files) are split by group into halves a and b
 * (src/dev/heldout-split.ts); calibration mixes are built from half a only, report mixes from half b only, so no
 * clip and no family is on both sides. The threshold is the lowest on EPISODE_THRESHOLD_GRID whose false episodes
 * per hour, pooled over the calibration mixes, stay at or below --max-false-per-hour.
 *
 *   npx tsx scripts/calibrate-episode.ts [--heads models/babymon-heads] [--calibrate-seeds 1,3] [--report-seeds 4,2]
 *       [--minutes 60] [--max-false-per-hour 1] [--score-source heads|yamnet] [--swap] [--support-grid 0,0.02,…]
 *       [--cross-fit [--write]] [--strong-grid 1,0.999,0.998,0.995] [--onset-n-grid 4,5,6] [--max-latency 2]
 *       [--room-nights 11,12,13,15,16] [--room-minutes 60] [--room-parts] [--room-budgets 0,1]
 *
 * An operating point is a threshold, `detection.onsetN` (onset: `onsetK` of the last `onsetN` windows) and
 * `detection.onsetStrong` (one window at or above it starts an episode at once): for each onsetN on `--onset-n-grid`
 * and onsetStrong on `--strong-grid` (1 = off) the lowest threshold within the false-alarm budget; among the points
 * whose median latency is within `--max-latency` (the issue's goal, 2 s) the one with the most cries found wins
 * (then the lower latency); when none is, the one with the most cries found.
 * `--support-grid` also chooses `detection.yamnetSupport` jointly with the threshold (see the end of this file).
 * `--cross-fit` does both directions (choose on a, report on b; choose on b, report on a) and prints the pooled
 * cross-fitted figures — the honest estimate when the halves differ — and the threshold chosen on both halves
 * together, the one to ship; with `--write` it sets that threshold as `thresholds.episode` in the heads' manifest.json
 * and writes the "Operating point in the daemon" section of their model-card.md (re-run it after every export).
 * `--room-nights` (with `--cross-fit`) measures `babymon calibrate`: see roomCalibrated() below; `--room-parts` adds
 * the measurement where the night and the cry mixes hear different halves of each household clip; `--room-budgets`
 * lists the `babymon calibrate --budget` values to measure (default: its default and `--max-false-per-hour`).
 * `--swap` calibrates on half b and reports on half a (a check of how much the choice depends on the half).
 * Window scores are cached in .cache/ under the same names as scripts/eval-mix.ts. It prints the calibration
 * sweep, the choice, and the report figures at the default and the chosen threshold; it writes nothing else.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { detectionForModels, loadAnalyzer } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { type EpisodeParams, resolveDetection } from "../src/detection/episodes.js";
import {
  calibrateForRoom,
  DEFAULT_ROOM_BUDGET_PER_HOUR,
  type RoomRecording,
} from "../src/detection/room-calibration.js";
import { heldOutExclusion, heldOutHalves } from "../src/dev/heldout-split.js";
import { buildMix, DEFAULT_MIX, type Mix } from "../src/dev/mix.js";
import {
  cachedWindowScores,
  EPISODE_THRESHOLD_GRID,
  episodesFor,
  quantile,
  replayWindows,
  type ScoredMixWindow,
  scoreMix,
} from "../src/dev/mix-eval.js";
import { createLogger } from "../src/logging.js";

const { values } = parseArgs({
  options: {
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
  },
});
const source = values["score-source"];
if (source !== "heads" && source !== "yamnet")
  throw new Error(`Expected \`--score-source\` to be heads or yamnet, got ${source}`);
const minutes = Number(values.minutes);
const maxFalsePerHour = Number(values["max-false-per-hour"]);
const seeds = (s: string) => s.split(",").map(Number);
const strongs = values["strong-grid"].split(",").map(Number);
if (strongs.some((x) => !(x > 0 && x <= 1)))
  throw new Error(`Expected \`--strong-grid\` to list numbers in (0, 1], got ${values["strong-grid"]}`);
const onsetNs = values["onset-n-grid"].split(",").map(Number);
if (onsetNs.some((n) => !Number.isInteger(n) || n < 1 || n > 20))
  throw new Error(`Expected \`--onset-n-grid\` to list integers 1–20, got ${values["onset-n-grid"]}`);
const maxLatencySec = Number(values["max-latency"]);
const roomNights = values["room-nights"] ? seeds(values["room-nights"]) : [];
const roomMinutes = Number(values["room-minutes"]);
const roomBudgets = values["room-budgets"]
  ? values["room-budgets"].split(",").map(Number)
  : [...new Set([DEFAULT_ROOM_BUDGET_PER_HOUR, maxFalsePerHour])];
if (roomBudgets.some((b) => !(b >= 0)))
  throw new Error(`Expected \`--room-budgets\` to list numbers ≥ 0, got ${values["room-budgets"]}`);
const headsDir = resolve(values.heads);
const manifest = JSON.parse(readFileSync(join(headsDir, "manifest.json"), "utf8")) as {
  training: { files: Array<{ file: string }> };
};
const training = new Set(manifest.training.files.map((f) => f.file));
const [halfA, halfB] = heldOutHalves(training);
const [calHalf, repHalf] = values.swap ? (["b", "a"] as const) : (["a", "b"] as const);

const { config } = loadConfig({
  env: {},
  overrides: {
    "inference.scoreSource": source,
    ...(source === "heads" ? { "inference.headsDir": headsDir } : {}),
  },
});
const analyzer = await loadAnalyzer(config.inference, createLogger({ level: "warn" }, 2));
const params: EpisodeParams =
  source === "heads"
    ? resolveDetection(config.detection, "heads") // the code default, not a threshold the manifest already ships
    : detectionForModels(config.detection, {}, analyzer);

/** How an episode starts besides the threshold: `onsetK` of the last `onsetN` windows, or one at `onsetStrong`. */
interface Onset {
  onsetN: number;
  onsetStrong: number;
}
const configuredOnset: Onset = { onsetN: params.onsetN, onsetStrong: params.onsetStrong };

/** A mix's labels and its scored windows (the audio is dropped once scored). */
interface Scored {
  seed: number;
  half: "a" | "b";
  mix: Omit<Mix, "samples">;
  windows: ScoredMixWindow[];
}
/** One part of each household clip (MixOptions.householdPart); undefined: whole clips */
type Part = 0 | 1 | undefined;
const partName = (part: Part) => (part === undefined ? "" : `-part${part}`);

async function scored(seed: number, half: "a" | "b", householdPart?: Part): Promise<Scored> {
  const exclude = heldOutExclusion(training, half, [halfA, halfB]);
  const { samples, ...mix } = await buildMix({ ...DEFAULT_MIX, seed, minutes, exclude, householdPart });
  const windows = await cachedWindowScores(samples, analyzer, config.windows.hopSec, {
    seed,
    minutes,
    excluded: exclude.size,
    half: `${half}${partName(householdPart)}`,
  });
  return { seed, half, mix, windows };
}

/** Which part of each household clip a room night and the cry mixes hear; several pairs are pooled. */
type PartPairs = ReadonlyArray<{ night: Part; test: Part }>;
const WHOLE_CLIPS: PartPairs = [{ night: undefined, test: undefined }];
const OTHER_PARTS: PartPairs = [
  { night: 0, test: 1 },
  { night: 1, test: 0 },
];
const SAME_PARTS: PartPairs = [
  { night: 0, test: 0 },
  { night: 1, test: 1 },
];

/** roomNight()'s nights, shared by every budget and pairing (declared here: the top-level await path uses it). */
const nightRecordings = new Map<string, RoomRecording>();

/** The half's cry mixes rebuilt from one part of each household clip, built once per half and part. */
const partMixes = new Map<string, Scored[]>();
async function testSetsFor(half: "a" | "b", whole: Scored[], part: Part): Promise<Scored[]> {
  if (part === undefined) return whole;
  const key = `${half}${part}`;
  if (!partMixes.has(key)) {
    const sets: Scored[] = [];
    for (const s of whole) sets.push(await scored(s.seed, half, part));
    partMixes.set(key, sets);
  }
  return partMixes.get(key)!;
}

/** Figures pooled over mixes, each scored at its own threshold (cross-fitting scores each half at the other's). */
const pooledAt = (runs: Array<{ set: Scored; threshold: number; onset?: Onset }>, yamnetSupport = 0) => {
  let cries = 0;
  let found = 0;
  let falseEpisodes = 0;
  let nonCryHours = 0;
  const latencies: number[] = [];
  const bySnr: Record<string, string> = {};
  const snrCounts: Record<string, [number, number]> = {};
  const falseByLabel: Record<string, number> = {};
  for (const { set: s, threshold, onset = configuredOnset } of runs) {
    const r = scoreMix(
      episodesFor(s.windows, { ...params, threshold, ...onset, yamnetSupport }),
      s.mix.events,
      s.mix.durationSec,
      s.mix.background,
    );
    cries += r.cries;
    found += r.found;
    falseEpisodes += r.falseEpisodes;
    nonCryHours += r.nonCryHours;
    latencies.push(...r.latencies);
    for (const [k, v] of Object.entries(r.recallBySnr)) {
      snrCounts[k] ??= [0, 0];
      snrCounts[k][0] += v.found;
      snrCounts[k][1] += v.cries;
    }
    for (const [k, v] of Object.entries(r.falseByLabel)) falseByLabel[k] = (falseByLabel[k] ?? 0) + v;
  }
  for (const [k, [f, c]] of Object.entries(snrCounts)) bySnr[k] = `${f}/${c}`;
  latencies.sort((a, b) => a - b);
  return {
    yamnetSupport,
    cries,
    found,
    recall: found / cries,
    falseEpisodes,
    nonCryHours,
    falsePerHour: falseEpisodes / nonCryHours,
    latencyMedianSec: quantile(latencies, 0.5),
    latencyP95Sec: quantile(latencies, 0.95),
    bySnr,
    falseByLabel,
  };
};
const pooled = (sets: Scored[], threshold: number, yamnetSupport = 0, onset = configuredOnset) => ({
  threshold,
  ...onset,
  ...pooledAt(
    sets.map((set) => ({ set, threshold, onset })),
    yamnetSupport,
  ),
});
type Pooled = ReturnType<typeof pooled>;
const onsetOf = (p: Pooled): Onset => ({ onsetN: p.onsetN, onsetStrong: p.onsetStrong });
const fmt = (r: Pooled) =>
  `thr ${r.threshold.toFixed(3)} onset ${params.onsetK}/${r.onsetN}${r.onsetStrong < 1 ? ` strong ${r.onsetStrong}` : ""} support ${r.yamnetSupport} | recall ${(100 * r.recall).toFixed(1)} % (${r.found}/${r.cries}) | false ${r.falseEpisodes} in ${r.nonCryHours.toFixed(2)} h = ${r.falsePerHour.toFixed(2)}/h | latency median ${r.latencyMedianSec?.toFixed(2)} s p95 ${r.latencyP95Sec?.toFixed(2)} s`;

/** threshold, onset k/n and (when on) onsetStrong */
const opName = (p: Pooled) =>
  `${p.threshold}, ${params.onsetK} of ${p.onsetN}${p.onsetStrong < 1 ? `, strong ${p.onsetStrong}` : ""}`;

const calibration: Scored[] = [];
for (const seed of seeds(values["calibrate-seeds"])) calibration.push(await scored(seed, calHalf));
const report: Scored[] = [];
for (const seed of seeds(values["report-seeds"])) report.push(await scored(seed, repHalf));

process.stdout.write(
  `score ${analyzer.models.heads ?? "yamnet"}; onset ${params.onsetK}/${params.onsetN}, strong ${params.onsetStrong}, laughter veto ${params.laughterVeto}, hold ${params.holdSec} s\n` +
    `held-out files: half a ${halfA.size}, half b ${halfB.size}; calibrate on half ${calHalf}, report on half ${repHalf}\n`,
);
for (const s of [...calibration, ...report]) {
  const kinds: Record<string, number> = {};
  for (const e of s.mix.events) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  const cries = s.mix.events.filter((e) => e.kind === "cry");
  const others = s.mix.events.filter((e) => e.kind !== "cry");
  process.stdout.write(
    `mix seed ${s.seed} half ${s.half}: ${(s.mix.durationSec / 60).toFixed(0)} min, events ${JSON.stringify(kinds)}, ` +
      `${cries.length} cries from ${new Set(cries.map((c) => c.source)).size} files at ${DEFAULT_MIX.snrsDb.join("/")} dB SNR, ` +
      `${(others.reduce((t, e) => t + e.end - e.start, 0) / 60).toFixed(1)} min of household/laughter/speech events, ` +
      `${scoreMix([], s.mix.events, s.mix.durationSec).nonCryHours.toFixed(2)} h without crying\n`,
  );
}
process.stdout.write("-- calibration sweep (pooled)\n");
for (const t of EPISODE_THRESHOLD_GRID)
  if (Math.round(t * 1000) % 50 === 0 || t >= 0.95) process.stdout.write(`${fmt(pooled(calibration, t))}\n`);
const chosen = EPISODE_THRESHOLD_GRID.find((t) => pooled(calibration, t).falsePerHour <= maxFalsePerHour);
process.stdout.write(
  chosen === undefined
    ? `no threshold reaches ≤ ${maxFalsePerHour} false episodes per hour on the calibration mixes\n`
    : `chosen: ${chosen} (lowest with ≤ ${maxFalsePerHour} false episodes/h on the calibration mixes)\n`,
);
for (const t of chosen === undefined ? [params.threshold] : [params.threshold, chosen]) {
  const r = pooled(report, t);
  process.stdout.write(`-- report (seeds ${values["report-seeds"]}, half ${repHalf}) at ${t}\n${fmt(r)}\n`);
  process.stdout.write(
    `   recall by SNR ${JSON.stringify(r.bySnr)}; false by ${JSON.stringify(r.falseByLabel)}\n`,
  );
  for (const s of report) process.stdout.write(`   seed ${s.seed}: ${fmt(pooled([s], t))}\n`);
  process.stdout.write(`   calibration at ${t}: ${fmt(pooled(calibration, t))}\n`);
}

if (values["cross-fit"]) {
  /** The operating point chosen on `sets` (see the top of this file). */
  const choose = (sets: Scored[]): Pooled | undefined => {
    const fast = (x: Pooled) => (x.latencyMedianSec <= maxLatencySec ? 1 : 0);
    const rank = (x: Pooled, y: Pooled) =>
      fast(x) - fast(y) ||
      x.found - y.found ||
      y.latencyMedianSec - x.latencyMedianSec ||
      y.falseEpisodes - x.falseEpisodes;
    let best: Pooled | undefined;
    for (const onsetN of onsetNs.filter((n) => n >= params.onsetK))
      for (const onsetStrong of strongs) {
        const onset = { onsetN, onsetStrong };
        const t = EPISODE_THRESHOLD_GRID.find(
          (t) => pooled(sets, t, 0, onset).falsePerHour <= maxFalsePerHour,
        );
        if (t === undefined) continue;
        const r = pooled(sets, t, 0, onset);
        if (!best || rank(r, best) > 0) best = r;
      }
    return best;
  };
  const [pA, pB] = [choose(calibration), choose(report)];
  if (pA === undefined || pB === undefined) {
    process.stdout.write(
      `cross-fit: no operating point reaches ≤ ${maxFalsePerHour} false episodes/h on one half\n`,
    );
  } else {
    const onB = pooled(report, pA.threshold, 0, onsetOf(pA));
    const onA = pooled(calibration, pB.threshold, 0, onsetOf(pB));
    process.stdout.write(
      `-- cross-fit (onsetN grid ${onsetNs.join(", ")}, onsetStrong grid ${strongs.join(", ")}, median latency ≤ ${maxLatencySec} s preferred)\nchosen on half ${calHalf}: ${opName(pA)}; on half ${repHalf}: ${fmt(onB)}\n   false by ${JSON.stringify(onB.falseByLabel)}\n` +
        `chosen on half ${repHalf}: ${opName(pB)}; on half ${calHalf}: ${fmt(onA)}\n   false by ${JSON.stringify(onA.falseByLabel)}\n`,
    );
    const c = pooledAt([
      ...report.map((set) => ({ set, threshold: pA.threshold, onset: onsetOf(pA) })),
      ...calibration.map((set) => ({ set, threshold: pB.threshold, onset: onsetOf(pB) })),
    ]);
    process.stdout.write(
      `cross-fitted (pooled over both directions): recall ${(100 * c.recall).toFixed(1)} % (${c.found}/${c.cries}) | ` +
        `false ${c.falseEpisodes} in ${c.nonCryHours.toFixed(2)} h = ${c.falsePerHour.toFixed(2)}/h | latency median ${c.latencyMedianSec.toFixed(2)} s p95 ${c.latencyP95Sec.toFixed(2)} s\n`,
    );
    const all = choose([...calibration, ...report]);
    process.stdout.write(
      all === undefined
        ? "no operating point reaches the budget on both halves together\n"
        : `chosen on both halves together (to ship): ${opName(all)}; there: ${fmt(all)}\n`,
    );
    const room: RoomTables[] = [];
    if (roomNights.length > 0)
      for (const budget of roomBudgets) {
        const measure = (pairs: PartPairs) => roomCalibrated(pA, pB, pairs, budget);
        room.push({
          budget,
          whole: await measure(WHOLE_CLIPS),
          parts: values["room-parts"]
            ? { other: await measure(OTHER_PARTS), same: await measure(SAME_PARTS) }
            : null,
        });
      }
    if (values.write && all !== undefined && source === "heads") {
      writeOperatingPoint(all, { pA, pB, onA, onB, crossFitted: c, room });
    }
  }
}

/** A household-only night of the half's own recordings as `babymon calibrate` replays it, built once (nightRecordings). */
async function roomNight(night: number, half: "a" | "b", part: Part): Promise<RoomRecording> {
  const key = `${night}${half}${partName(part)}`;
  if (!nightRecordings.has(key)) {
    const exclude = heldOutExclusion(training, half, [halfA, halfB]);
    const { samples, durationSec } = await buildMix({
      ...DEFAULT_MIX,
      seed: night,
      minutes: roomMinutes,
      exclude,
      cryFraction: 0,
      householdPart: part,
    });
    const windows = await cachedWindowScores(samples, analyzer, config.windows.hopSec, {
      seed: night,
      minutes: roomMinutes,
      excluded: exclude.size,
      half: `${half}-night${partName(part)}`,
    });
    nightRecordings.set(key, {
      name: `night ${night}`,
      durationSec,
      windows: replayWindows(windows, params),
    });
  }
  return nightRecordings.get(key)!;
}

/**
 * `babymon calibrate` as an owner would use it, measured: each half gets the operating point chosen on the other half
 * (the shipped point is chosen on data that is not the owner's room), then one household-only "night" per seed on
 * `--room-nights` (the half's own household recordings, placed and levelled anew, no crying) raises it with
 * calibrateForRoom; the result is measured on the half's cry mixes. Figures pooled over both halves, per night.
 * `pairs` says which part of each household clip the night and the cry mixes hear (whole clips: one pair, both
 * undefined); several pairs are pooled. `budget` is `babymon calibrate --budget`. `start` is the cross-fitted
 * starting point on the same cry mixes.
 */
async function roomCalibrated(pA: Pooled, pB: Pooled, pairs: PartPairs, budget: number) {
  const rows: Array<{ night: number; points: string; r: ReturnType<typeof pooledAt> }> = [];
  const halves = [
    [calHalf, calibration, pB],
    [repHalf, report, pA],
  ] as const;
  const startRuns: Array<{ set: Scored; threshold: number; onset: Onset }> = [];
  for (const { test } of pairs)
    for (const [half, whole, vendor] of halves)
      for (const set of await testSetsFor(half, whole, test))
        startRuns.push({ set, threshold: vendor.threshold, onset: onsetOf(vendor) });
  const start = pooledAt(startRuns);
  const pairNames = pairs
    .map((p) => (p.night === undefined ? "whole clips" : `night part ${p.night}, cry mixes part ${p.test}`))
    .join(" + ");
  process.stdout.write(
    `-- room calibration (budget ${budget}/h, ${roomMinutes}-min household-only nights; ${pairNames})\n` +
      `   starting points on these cry mixes: recall ${(100 * start.recall).toFixed(1)} % (${start.found}/${start.cries}) | false ${start.falseEpisodes} in ${start.nonCryHours.toFixed(2)} h = ${start.falsePerHour.toFixed(2)}/h | latency median ${start.latencyMedianSec.toFixed(2)} s\n`,
  );
  for (const night of roomNights) {
    const runs: Array<{ set: Scored; threshold: number; onset: Onset }> = [];
    const points: string[] = [];
    for (const pair of pairs)
      for (const [half, whole, vendor] of halves) {
        const cal = calibrateForRoom(
          [await roomNight(night, half, pair.night)],
          { ...params, ...onsetOf(vendor), threshold: vendor.threshold },
          budget,
        );
        // no point: `babymon calibrate` would write nothing; measure the most conservative point on the grid instead
        const point = cal.point ?? { threshold: 0.999, onsetStrong: 1 };
        points.push(
          `half ${half}${pair.night === undefined ? "" : ` (night part ${pair.night})`}: ${cal.before.length} night episodes at ${opName(vendor)} → ${cal.point ? "" : "none within the budget, measured at "}${point.threshold}${point.onsetStrong < 1 ? `, strong ${point.onsetStrong}` : ", strong off"}`,
        );
        for (const set of await testSetsFor(half, whole, pair.test))
          runs.push({
            set,
            threshold: point.threshold,
            onset: { onsetN: vendor.onsetN, onsetStrong: point.onsetStrong },
          });
      }
    const r = pooledAt(runs);
    rows.push({ night, points: points.join("; "), r });
    process.stdout.write(
      `night ${night}: ${points.join("; ")}\n   recall ${(100 * r.recall).toFixed(1)} % (${r.found}/${r.cries}) | false ${r.falseEpisodes} in ${r.nonCryHours.toFixed(2)} h = ${r.falsePerHour.toFixed(2)}/h | latency median ${r.latencyMedianSec.toFixed(2)} s p95 ${r.latencyP95Sec.toFixed(2)} s | false by ${JSON.stringify(r.falseByLabel)}\n`,
    );
  }
  return { start, rows };
}

analyzer.dispose();

// Joint choice with the YAMNet-support onset condition (detection.yamnetSupport): for each support on the grid the
// lowest threshold within the false-alarm budget on the calibration mixes; the pair with the highest calibration
// recall wins (ties: fewer false episodes, then the lower support). `--support-grid 0` (default) skips this.
const supports = values["support-grid"].split(",").map(Number);
if (supports.some((s) => s > 0)) {
  process.stdout.write("-- joint calibration (support, threshold)\n");
  let best: Pooled | undefined;
  for (const support of supports) {
    const t = EPISODE_THRESHOLD_GRID.find(
      (t) => pooled(calibration, t, support).falsePerHour <= maxFalsePerHour,
    );
    if (t === undefined) continue;
    const r = pooled(calibration, t, support);
    process.stdout.write(
      `${fmt(r)}\n   (half ${repHalf}, not used to choose: ${fmt(pooled(report, t, support))})\n`,
    );
    if (!best || r.recall > best.recall || (r.recall === best.recall && r.falsePerHour < best.falsePerHour))
      best = r;
  }
  if (best) {
    process.stdout.write(`chosen: support ${best.yamnetSupport}, threshold ${best.threshold}\n`);
    const r = pooled(report, best.threshold, best.yamnetSupport);
    process.stdout.write(`-- report (seeds ${values["report-seeds"]}, half ${repHalf})\n${fmt(r)}\n`);
    process.stdout.write(
      `   recall by SNR ${JSON.stringify(r.bySnr)}; false by ${JSON.stringify(r.falseByLabel)}\n`,
    );
    for (const s of report)
      process.stdout.write(`   seed ${s.seed}: ${fmt(pooled([s], best.threshold, best.yamnetSupport))}\n`);
  }
}

type RoomResult = Awaited<ReturnType<typeof roomCalibrated>>;
/** recall | false episodes per hour | latency, as model-card table cells */
function figures(r: ReturnType<typeof pooledAt>): string {
  return `${(100 * r.recall).toFixed(1)} % (${r.found}/${r.cries}) | ${r.falsePerHour.toFixed(2)} (${r.falseEpisodes} in ${r.nonCryHours.toFixed(2)} h) | ${r.latencyMedianSec.toFixed(2)} s / ${r.latencyP95Sec.toFixed(2)} s`;
}

/** One `babymon calibrate --budget` measured: whole clips, and (`--room-parts`) other and same halves of the clips. */
interface RoomTables {
  budget: number;
  whole: RoomResult;
  parts: { other: RoomResult; same: RoomResult } | null;
}

/** How a budget reads in the model card (a hoisted function: writeOperatingPoint runs before this line is reached). */
function budgetName(budget: number): string {
  const what =
    budget === 0 ? "the night must raise no episode" : `at most ${budget} episode per hour of the night`;
  return `\`--budget ${budget}\` (${budget === DEFAULT_ROOM_BUDGET_PER_HOUR ? "the default: " : ""}${what})`;
}

/** The model card's tables of room calibration (calibrate-episode --room-nights [--room-parts]), one set per budget. */
function roomSection(rooms: RoomTables[]): string {
  const tables = rooms.map(({ budget, whole, parts }) => {
    const partsTable = parts
      ? `
Other moments of the same sources, ${budgetName(budget)}:

| night seed | other half: recall | false episodes / h | latency median / p95 | same half: recall | false episodes / h |
|---|---|---|---|---|---|
| none (cross-fitted starting points) | ${figures(parts.other.start)} | ${(100 * parts.same.start.recall).toFixed(1)} % | ${parts.same.start.falsePerHour.toFixed(2)} |
${parts.other.rows
  .map((o, i) => {
    const same = parts.same.rows[i].r;
    return `| ${o.night} | ${figures(o.r)} | ${(100 * same.recall).toFixed(1)} % (${same.found}/${same.cries}) | ${same.falsePerHour.toFixed(2)} (${same.falseEpisodes}) |`;
  })
  .join("\n")}
`
      : "";
    return `
Whole clips, ${budgetName(budget)}:

| night seed | per half: night episodes at the starting point → calibrated | recall | false episodes / h | latency median / p95 |
|---|---|---|---|---|
${whole.rows.map(({ night, points, r }) => `| ${night} | ${points} | ${figures(r)} |`).join("\n")}
${partsTable}`;
  });
  return `
**Room calibration, measured** (\`--room-nights ${roomNights.join(",")}\`). Each half starts from the operating point chosen
on the other half (cross-fitted row 1 or 2 above), then \`calibrateForRoom\` — what \`babymon calibrate\` runs — sees one
${roomMinutes}-min household-only night built from that half's own household recordings (new placement and levels, no
crying), and the raised point is measured on the half's cry mixes; both halves pooled. In the "whole clips" tables the
night and the mixes share recordings: a room's sounds recur, but here as the very same clips, the best case of a real
next night.${
    rooms.some((r) => r.parts)
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

/** Writes the chosen operating point into the heads' manifest and its section into their model card. */
function writeOperatingPoint(
  all: Pooled,
  r: {
    pA: Pooled;
    pB: Pooled;
    onA: Pooled;
    onB: Pooled;
    crossFitted: ReturnType<typeof pooledAt>;
    room: RoomTables[];
  },
): void {
  const { threshold, onsetN, onsetStrong } = all;
  const manifestFile = join(headsDir, "manifest.json");
  const m = JSON.parse(readFileSync(manifestFile, "utf8"));
  m.thresholds = { ...m.thresholds, episode: threshold, onsetN, onsetStrong };
  writeFileSync(manifestFile, `${JSON.stringify(m, null, 2)}\n`);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const row = (what: string, x: Pooled) =>
    `| ${what} | ${pct(x.recall)} (${x.found}/${x.cries}) | ${x.falsePerHour.toFixed(2)} (${x.falseEpisodes} in ${x.nonCryHours.toFixed(2)} h) | ${x.latencyMedianSec.toFixed(2)} s / ${x.latencyP95Sec.toFixed(2)} s |`;
  const c = r.crossFitted;
  const section = `## Operating point in the daemon

Written by \`npx tsx scripts/calibrate-episode.ts --cross-fit --write\` (re-run it after every export). The daemon
raises a cry episode when ${params.onsetK} of the last \`onsetN\` windows (0.96 s, hop 0.48 s) exceed the episode
threshold, or when one window reaches \`onsetStrong\` (laughter veto ${params.laughterVeto}, hold ${params.holdSec} s); this
export ships **\`thresholds.episode\` = ${threshold}**, **\`thresholds.onsetN\` = ${onsetN}** and
**\`thresholds.onsetStrong\` = ${onsetStrong}**${onsetStrong >= 1 ? " (off)" : ""} in manifest.json, which the daemon uses unless the owner sets
\`detection.threshold\`, \`detection.onsetN\` or \`detection.onsetStrong\`.

**Procedure.** Only files the heads never trained on (not in \`training.files\`: the hold-out test groups) are
used, split by group into halves a (${halfA.size} files) and b (${halfB.size} files) (\`src/dev/heldout-split.ts\`; no clip and no
family on both sides). Two 60-min mixes are built from each half (\`src/dev/mix.ts\`: continuous ESC-50 background
at −50…−35 dBFS; Donate-a-Cry cries at 20/10/5/0 dB SNR; household stretches at −35…−20 dBFS, half of them hard
negatives — cat, dog, siren, laughing, coughing, sneezing, snoring, rooster; a few speech stretches). For each
\`onsetN\` in {${onsetNs.join(", ")}} and \`onsetStrong\` in {${strongs.join(", ")}} (1 = off) the threshold is the lowest on a 0.001 grid
with ≤ ${maxFalsePerHour} false episode per hour on the mixes it is chosen on; among the points with a median latency ≤ ${maxLatencySec} s
the one that finds the most cries wins (ties: lower latency), else the one that finds the most.
It is chosen on one half and measured on the other, both ways (cross-fitting: the halves hold different household
sources, and a single split hides how much that matters); the shipped point is then chosen on both halves together.
A cry is found when an episode is reported during it (or ≤ 3 s after); latency = report time − the cry's onset.

| operating point (threshold, onset, onsetStrong) chosen on → measured on | recall | false episodes / h | latency median / p95 |
|---|---|---|---|
${row(`half a (${opName(r.pA)}) → half b`, r.onB)}
${row(`half b (${opName(r.pB)}) → half a`, r.onA)}
| **cross-fitted, both directions pooled** | **${pct(c.recall)} (${c.found}/${c.cries})** | **${c.falsePerHour.toFixed(2)} (${c.falseEpisodes} in ${c.nonCryHours.toFixed(2)} h)** | **${c.latencyMedianSec.toFixed(2)} s / ${c.latencyP95Sec.toFixed(2)} s** |
${row(`both halves (${opName(all)}, shipped) → both halves (in-sample)`, all)}

False episodes (half a's operating point on half b) by what was playing: ${JSON.stringify(r.onB.falseByLabel)}.
Recall by SNR there: ${JSON.stringify(r.onB.bySnr)}.

**The goal (no episode on household-only stretches) is not met on unseen household sources**: which sounds the
heads take for crying depends on which recordings of sheep, creaking doors or roosters they have heard, so a
threshold that is quiet on one half alarms on the other. \`babymon calibrate\` on a recording of the owner's room
without crying raises the threshold until that recording raises no episode (by default; \`--budget\` can allow some
per hour).
${r.room.length > 0 ? roomSection(r.room) : ""}`;
  const cardFile = join(headsDir, "model-card.md");
  const card = readFileSync(cardFile, "utf8");
  const start = card.indexOf("## Operating point in the daemon");
  const next = start < 0 ? -1 : card.indexOf("\n## ", start + 1);
  const updated =
    start < 0
      ? `${card.trimEnd()}\n\n${section}`
      : `${card.slice(0, start)}${section}${next < 0 ? "" : card.slice(next)}`;
  writeFileSync(cardFile, updated);
  process.stdout.write(
    `wrote thresholds.episode = ${threshold}, onsetN = ${onsetN}, onsetStrong = ${onsetStrong} to ${manifestFile} and the operating point to ${cardFile}\n`,
  );
}
