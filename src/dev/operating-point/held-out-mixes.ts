import type { EpisodeParams } from "../../detection/episodes.js";
import type { RoomRecording } from "../../detection/room-calibration.js";
import type { Analyzer } from "../../inference/types.js";
import { heldOutExclusion } from "../heldout-split.js";
import { buildMix, DEFAULT_MIX } from "../mix.js";
import { cachedWindowScores, replayWindows } from "../mix-eval.js";
import type { RoomSources } from "./room.js";
import type { Half, Part, ScoredMix } from "./types.js";

export interface HeldOutMixesOptions {
  /** manifest.training.files of the heads: never in a mix */
  trainingFiles: ReadonlySet<string>;
  /** heldOutHalves(trainingFiles) */
  halves: [Set<string>, Set<string>];
  analyzer: Analyzer;
  hopSec: number;
  /** the episode parameters a room night is replayed with (laughter veto) */
  params: EpisodeParams;
  /** length of a cry mix */
  minutes: number;
  /** length of a household-only room night */
  roomMinutes: number;
}

export const partName = (part: Part) => (part === undefined ? "" : `-part${part}`);

/**
 * The held-out mixes of one calibration run, each built and scored once: cry mixes of either half (window scores
 * cached in .cache/ under the names scripts/eval-mix.ts uses), the cry mixes rebuilt from one part of each
 * household clip, and household-only room nights as `babymon calibrate` replays them.
 */
export class HeldOutMixes implements RoomSources {
  /** the half's cry mixes rebuilt from one part of each household clip, by half and part */
  private readonly partMixes = new Map<string, ScoredMix[]>();
  /** room nights, by night seed, half and part: shared by every budget and pairing */
  private readonly nights = new Map<string, RoomRecording>();

  constructor(private readonly o: HeldOutMixesOptions) {}

  private exclusion(half: Half): Set<string> {
    return heldOutExclusion(this.o.trainingFiles, half, this.o.halves);
  }

  /** The cry mix of `seed` built from the half's files only (and from one part of each household clip). */
  async cryMix(seed: number, half: Half, householdPart?: Part): Promise<ScoredMix> {
    const { minutes } = this.o;
    const exclude = this.exclusion(half);
    const { samples, ...mix } = await buildMix({ ...DEFAULT_MIX, seed, minutes, exclude, householdPart });
    const windows = await cachedWindowScores(samples, this.o.analyzer, this.o.hopSec, {
      seed,
      minutes,
      excluded: exclude.size,
      half: `${half}${partName(householdPart)}`,
    });
    return { seed, half, mix, windows };
  }

  /** `whole`'s mixes (same seeds) rebuilt from one part of each household clip; `whole` itself for whole clips. */
  async cryMixesOfPart(half: Half, whole: readonly ScoredMix[], part: Part): Promise<readonly ScoredMix[]> {
    if (part === undefined) return whole;
    const key = `${half}${part}`;
    if (!this.partMixes.has(key)) {
      const sets: ScoredMix[] = [];
      for (const s of whole) sets.push(await this.cryMix(s.seed, half, part));
      this.partMixes.set(key, sets);
    }
    return this.partMixes.get(key)!;
  }

  /** A household-only night of the half's own recordings (no crying), as `babymon calibrate` replays it. */
  async roomNight(night: number, half: Half, part: Part): Promise<RoomRecording> {
    const key = `${night}${half}${partName(part)}`;
    if (!this.nights.has(key)) {
      const minutes = this.o.roomMinutes;
      const exclude = this.exclusion(half);
      const { samples, durationSec } = await buildMix({
        ...DEFAULT_MIX,
        seed: night,
        minutes,
        exclude,
        cryFraction: 0,
        householdPart: part,
      });
      const windows = await cachedWindowScores(samples, this.o.analyzer, this.o.hopSec, {
        seed: night,
        minutes,
        excluded: exclude.size,
        half: `${half}-night${partName(part)}`,
      });
      this.nights.set(key, {
        name: `night ${night}`,
        durationSec,
        windows: replayWindows(windows, this.o.params),
      });
    }
    return this.nights.get(key)!;
  }
}
