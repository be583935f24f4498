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
 * (then the lower latency); when none is, the one with the most cries found (src/dev/operating-point/choose.ts).
 * `--support-grid` also chooses `detection.yamnetSupport` jointly with the threshold (chooseWithSupport).
 * `--cross-fit` does both directions (choose on a, report on b; choose on b, report on a) and prints the pooled
 * cross-fitted figures — the honest estimate when the halves differ — and the threshold chosen on both halves
 * together, the one to ship; with `--write` it sets that threshold as `thresholds.episode` in the heads' manifest.json
 * and writes the "Operating point in the daemon" section of their model-card.md (re-run it after every export).
 * `--room-nights` (with `--cross-fit`) measures `babymon calibrate` (src/dev/operating-point/room.ts); `--room-parts`
 * adds the measurement where the night and the cry mixes hear different halves of each household clip;
 * `--room-budgets` lists the `babymon calibrate --budget` values to measure (default: its default and
 * `--max-false-per-hour`).
 * `--swap` calibrates on half b and reports on half a (a check of how much the choice depends on the half).
 * `--score-source yamnet --cross-fit` measures YAMNet's own cry score the same cross-fitted way (it writes nothing);
 * add `--onset-n-grid 4 --strong-grid 0.8` to choose only the threshold, at YAMNet's default onset (3 of 4, strong 0.8).
 * Window scores are cached in .cache/ under the same names as scripts/eval-mix.ts. It prints the calibration
 * sweep, the choice, and the report figures at the default and the chosen threshold; it writes nothing else.
 * The work is done by src/dev/operating-point/ (run.ts reads like this comment).
 */
import { parseCalibrateEpisodeArgs } from "../src/dev/operating-point/options.js";
import { runCalibrateEpisode } from "../src/dev/operating-point/run.js";

await runCalibrateEpisode(parseCalibrateEpisodeArgs(process.argv.slice(2)), (text) =>
  process.stdout.write(text),
);
