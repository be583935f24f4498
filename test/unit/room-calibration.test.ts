import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/config/schema.js";
import { type EpisodeParams, resolveDetection } from "../../src/detection/episodes.js";
import {
  calibrateForRoom,
  EPISODE_THRESHOLD_GRID,
  type RoomRecording,
  replayEpisodes,
} from "../../src/detection/room-calibration.js";
import type { ReplayWindow } from "../../src/detection/window-types.js";

const params: EpisodeParams = {
  ...resolveDetection(configSchema.parse({}).detection, "heads"),
  threshold: 0.9,
  onsetK: 3,
  onsetN: 4,
  onsetStrong: 1,
};

/** An hour of 0.48 s windows scoring 0.1, with `bursts` of `length` windows at the given scores. */
function night(bursts: Array<{ atSec: number; cry: number; length?: number }>, hours = 1): RoomRecording {
  const windows: ReplayWindow[] = [];
  for (let t = 0; t + 0.96 <= hours * 3600; t += 0.48) {
    const burst = bursts.find((b) => t >= b.atSec && t < b.atSec + (b.length ?? 5) * 0.48);
    windows.push({ startSec: t, endSec: t + 0.96, cry: burst?.cry ?? 0.1, yamnetCry: 0, levelDbfs: -50 });
  }
  return { name: "night", windows, durationSec: hours * 3600 };
}

const episodesAt = (r: RoomRecording, p: Partial<EpisodeParams>) =>
  replayEpisodes(r.windows, { ...params, ...p }).length;

describe("replayEpisodes", () => {
  it("raises one episode per burst of crying windows, reported after onsetK windows", () => {
    const r = night([
      { atSec: 100, cry: 0.95 },
      { atSec: 1000, cry: 0.95 },
    ]);
    const eps = replayEpisodes(r.windows, params);
    assert.equal(eps.length, 2);
    assert.ok(Math.abs(eps[0].startSec - 100.32) < 0.2, `start ${eps[0].startSec}`);
    assert.ok(
      eps[0].detectedSec > eps[0].startSec && eps[0].detectedSec < 103,
      `detected ${eps[0].detectedSec}`,
    );
    assert.equal(eps[0].peak, 0.95);
  });
});

describe("calibrateForRoom", () => {
  const r = night([
    { atSec: 100, cry: 0.95 },
    { atSec: 1000, cry: 0.992 },
    { atSec: 2000, cry: 0.97 },
  ]);

  it("raises the threshold to the lowest grid value that keeps the room's episodes within the budget", () => {
    const cal = calibrateForRoom([r], params, 0);
    assert.equal(cal.before.length, 3);
    assert.equal(cal.allowed, 0);
    assert.ok(cal.point);
    assert.equal(episodesAt(r, cal.point), 0);
    assert.equal(cal.after.length, 0);
    const lower = EPISODE_THRESHOLD_GRID[EPISODE_THRESHOLD_GRID.indexOf(cal.point.threshold) - 1];
    assert.ok(episodesAt(r, { threshold: lower }) > 0, `${lower} would still raise an episode`);
  });

  it("allows ⌊budget × hours⌋ episodes: one per hour keeps the loudest one", () => {
    const cal = calibrateForRoom([r], params, 1);
    assert.equal(cal.allowed, 1);
    assert.ok(cal.point);
    assert.equal(cal.after.length, 1);
    assert.equal(cal.after[0].episode.peak, 0.992);
    assert.ok(cal.point.threshold < 0.992);
  });

  it("never lowers the threshold, and leaves a quiet room's operating point as it is", () => {
    const quietRoom = night([]);
    const cal = calibrateForRoom([quietRoom], { ...params, threshold: 0.95, onsetStrong: 0.999 }, 0);
    assert.deepEqual(cal.point, { threshold: 0.95, onsetStrong: 0.999 });
    assert.equal(cal.before.length, 0);
  });

  it("raises or turns off onsetStrong when one window alone starts an episode", () => {
    const single = night([{ atSec: 500, cry: 0.9985, length: 1 }]);
    const cal = calibrateForRoom([single], { ...params, onsetStrong: 0.998 }, 0);
    assert.equal(cal.before.length, 1);
    assert.deepEqual(cal.point, { threshold: 0.9, onsetStrong: 0.999 });
  });

  it("returns no point when nothing on the grid silences the recordings (the baby cried in them)", () => {
    const crying = night([{ atSec: 100, cry: 1, length: 40 }]);
    const cal = calibrateForRoom([crying], params, 0);
    assert.equal(cal.point, null);
    assert.throws(() => calibrateForRoom([crying], params, -1), /Expected `budgetPerHour` ≥ 0, got -1/);
  });
});
