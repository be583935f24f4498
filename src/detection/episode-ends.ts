import type { BabymonEvent, EndedEpisodeInfo, ReasonOrUnsure } from "../events.js";

/** An episode of a replay at its end, with what its earlier events said. */
export interface EndedEpisode {
  episode: EndedEpisodeInfo;
  /**
   * when the episode was reported: the clock of its episode_start (the end of the window that completed the
   * onset), in seconds on the replay's clock, which starts at 0 with the input
   */
  detectedSec: number;
  /** the reason its episode_update gave ~5 s in; null when it ended earlier */
  provisionalReason: ReasonOrUnsure | null;
}

/** Follows the events of a replay (`detect`, room calibration) and completes each episode_end with its history. */
export class EpisodeEnds {
  private readonly detectedSec = new Map<string, number>();
  private readonly provisionalReason = new Map<string, ReasonOrUnsure>();

  /** Feed every event in order: returns the ended episode on episode_end, else null. */
  follow(e: BabymonEvent): EndedEpisode | null {
    if (e.type === "episode_start") this.detectedSec.set(e.episode.id, e.at / 1000);
    else if (e.type === "episode_update") this.provisionalReason.set(e.episode.id, e.episode.reason);
    if (e.type !== "episode_end") return null;
    const { id } = e.episode;
    const ended: EndedEpisode = {
      episode: e.episode,
      detectedSec: this.detectedSec.get(id) ?? e.episode.startSec,
      provisionalReason: this.provisionalReason.get(id) ?? null,
    };
    this.detectedSec.delete(id);
    this.provisionalReason.delete(id);
    return ended;
  }
}
