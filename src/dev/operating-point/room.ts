import type { EpisodeParams } from "../../detection/episodes.js";
import {
  calibrateForRoom,
  type RoomOperatingPoint,
  type RoomRecording,
} from "../../detection/room-calibration.js";
import { onsetOf, pooledAt } from "./pooling.js";
import type { Half, MixRun, OperatingPoint, Part, PooledFigures, ScoredMix } from "./types.js";

/** Which part of each household clip a room night and the cry mixes hear; several pairs are pooled. */
export type PartPairs = ReadonlyArray<{ night: Part; test: Part }>;
export const WHOLE_CLIPS: PartPairs = [{ night: undefined, test: undefined }];
export const OTHER_PARTS: PartPairs = [
  { night: 0, test: 1 },
  { night: 1, test: 0 },
];
export const SAME_PARTS: PartPairs = [
  { night: 0, test: 0 },
  { night: 1, test: 1 },
];

/** One half of the held-out files as room calibration starts it: its cry mixes and its starting point. */
export interface RoomHalf {
  half: Half;
  /** the half's cry mixes (whole clips) */
  whole: readonly ScoredMix[];
  /** the operating point chosen on the other half (the shipped point is chosen on data not from the room) */
  start: OperatingPoint;
}

/** What calibrateForRoom made of one half's starting point on one night. */
export interface RoomHalfResult {
  half: Half;
  /** the part of each household clip the night heard */
  nightPart: Part;
  start: OperatingPoint;
  /** episodes the night raises at the starting point */
  nightEpisodes: number;
  /** the raised point; null: none on the grid within the budget */
  calibrated: RoomOperatingPoint | null;
  /** the point measured on the cry mixes: the calibrated one, else the most conservative on the grid */
  measuredAt: RoomOperatingPoint;
}

export interface RoomNightRow {
  night: number;
  halves: RoomHalfResult[];
  /** both halves' cry mixes at their calibrated points, pooled */
  r: PooledFigures;
}

/** `babymon calibrate --budget` measured over several nights for one pairing of clip parts. */
export interface RoomMeasurement {
  budget: number;
  pairs: PartPairs;
  /** the starting points on the same cry mixes, before calibration */
  start: PooledFigures;
  rows: RoomNightRow[];
}

/** Where room calibration gets its nights and cry mixes from (HeldOutMixes builds and scores them). */
export interface RoomSources {
  /** `whole`'s mixes (same seeds) built from one part of each household clip; `whole` itself for whole clips */
  cryMixesOfPart(half: Half, whole: readonly ScoredMix[], part: Part): Promise<readonly ScoredMix[]>;
  /** a household-only night of the half's own recordings */
  roomNight(night: number, half: Half, part: Part): Promise<RoomRecording>;
}

export interface RoomMeasurementOptions {
  mixes: RoomSources;
  params: EpisodeParams;
  halves: readonly RoomHalf[];
  /** night seeds */
  nights: readonly number[];
  pairs: PartPairs;
  budget: number;
}

/**
 * `babymon calibrate` as an owner would use it, measured: each half starts from the operating point chosen on the
 * other half, then one household-only "night" per seed (the half's own household recordings, placed and levelled
 * anew, no crying) raises it with calibrateForRoom; the result is measured on the half's cry mixes. Figures pooled
 * over both halves, per night. `pairs` says which part of each household clip the night and the cry mixes hear.
 */
export async function measureRoomCalibration(o: RoomMeasurementOptions): Promise<RoomMeasurement> {
  const startRuns: MixRun[] = [];
  for (const { test } of o.pairs)
    for (const { half, whole, start } of o.halves)
      for (const set of await o.mixes.cryMixesOfPart(half, whole, test))
        startRuns.push({ set, threshold: start.threshold, onset: onsetOf(start) });
  const rows: RoomNightRow[] = [];
  for (const night of o.nights) {
    const runs: MixRun[] = [];
    const halves: RoomHalfResult[] = [];
    for (const pair of o.pairs)
      for (const { half, whole, start } of o.halves) {
        const cal = calibrateForRoom(
          [await o.mixes.roomNight(night, half, pair.night)],
          { ...o.params, ...onsetOf(start), threshold: start.threshold },
          o.budget,
        );
        const measuredAt = cal.point ?? { threshold: 0.999, onsetStrong: 1 };
        halves.push({
          half,
          nightPart: pair.night,
          start,
          nightEpisodes: cal.before.length,
          calibrated: cal.point,
          measuredAt,
        });
        for (const set of await o.mixes.cryMixesOfPart(half, whole, pair.test))
          runs.push({
            set,
            threshold: measuredAt.threshold,
            onset: { onsetN: start.onsetN, onsetStrong: measuredAt.onsetStrong },
          });
      }
    rows.push({ night, halves, r: pooledAt(runs, o.params) });
  }
  return { budget: o.budget, pairs: o.pairs, start: pooledAt(startRuns, o.params), rows };
}

/** One `babymon calibrate --budget` measured: whole clips, and (`--room-parts`) other and same parts of the clips. */
export interface RoomTables {
  budget: number;
  whole: RoomMeasurement;
  parts: { other: RoomMeasurement; same: RoomMeasurement } | null;
}

/**
 * Room calibration for each budget: whole clips, and with `withParts` other and same parts of the clips;
 * `onMeasured` sees each measurement as soon as it is done (they take minutes).
 */
export async function measureRoomTables(
  o: Omit<RoomMeasurementOptions, "pairs" | "budget">,
  budgets: readonly number[],
  withParts: boolean,
  onMeasured: (m: RoomMeasurement) => void = () => {},
): Promise<RoomTables[]> {
  const tables: RoomTables[] = [];
  for (const budget of budgets) {
    const measure = async (pairs: PartPairs) => {
      const m = await measureRoomCalibration({ ...o, pairs, budget });
      onMeasured(m);
      return m;
    };
    tables.push({
      budget,
      whole: await measure(WHOLE_CLIPS),
      parts: withParts ? { other: await measure(OTHER_PARTS), same: await measure(SAME_PARTS) } : null,
    });
  }
  return tables;
}
