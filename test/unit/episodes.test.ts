import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EpisodeEnds } from "../../src/detection/episode-ends.js";
import { type EpisodeParams, EpisodeTracker } from "../../src/detection/episodes.js";
import type { ScoredWindow } from "../../src/detection/window-types.js";
import type { BabymonEvent, ReasonProbabilities } from "../../src/events.js";

const HOP = 0.48;
const WIN = 0.96;
const T0 = 1_700_000_000_000;

const params: EpisodeParams = {
  threshold: 0.5,
  onsetK: 2,
  onsetN: 3,
  onsetStrong: 1,
  laughterVeto: 1,
  yamnetSupport: 0,
  holdSec: 3,
  minDurationSec: 0,
  cooldownSec: 5,
  maxDurationSec: 60,
  provisionalAfterSec: 5,
  unsureBelow: 0.5,
};

const models = { yamnet: "test", heads: null };

function window(
  i: number,
  cry: number,
  reasons: ReasonProbabilities | null = null,
  yamnetCry?: number,
): ScoredWindow {
  const startSec = i * HOP;
  return {
    startSec,
    endSec: startSec + WIN,
    atMs: T0 + (startSec + WIN) * 1000,
    cry,
    yamnetCry,
    reasons,
    levelDbfs: -20,
  };
}

/** Runs a cry-probability sequence (one value per window) and returns the events with their window index. */
function run(cries: number[], p: Partial<EpisodeParams> = {}, reasons?: (i: number) => ReasonProbabilities) {
  let n = 0;
  const tracker = new EpisodeTracker({ ...params, ...p }, models, () => `ep${++n}`);
  const events: Array<{ i: number; e: BabymonEvent }> = [];
  cries.forEach((c, i) => {
    for (const e of tracker.push(window(i, c, reasons ? reasons(i) : null))) events.push({ i, e });
  });
  for (const e of tracker.close()) events.push({ i: cries.length, e });
  return events;
}

const startsAndEnds = (ev: Array<{ i: number; e: BabymonEvent }>) =>
  ev.filter((x) => x.e.type !== "episode_update");

const seq = (...parts: Array<[number, number]>) =>
  parts.flatMap(([value, count]) => Array(count).fill(value));

describe("episode onset", () => {
  it("starts when k of the last n windows exceed the threshold, at the first of them", () => {
    const ev = run(seq([0.1, 5], [0.9, 1], [0.2, 1], [0.9, 1], [0.1, 20]));
    const start = ev.find((x) => x.e.type === "episode_start");
    assert.ok(start, "an episode starts");
    assert.equal(start.i, 7, "reported on the second crying window");
    assert.equal(start.e.type === "episode_start" && start.e.episode.startSec, 5 * HOP);
  });

  it("does not start on isolated windows over the threshold (1 of 3)", () => {
    const ev = run(seq([0.1, 5], [0.9, 1], [0.1, 2], [0.9, 1], [0.1, 2], [0.9, 1], [0.1, 10]));
    assert.equal(ev.length, 0);
  });

  it("starts on a single window at or above the strong threshold", () => {
    const ev = run(seq([0.1, 5], [0.95, 1], [0.1, 20]), { onsetStrong: 0.9 });
    const start = ev.find((x) => x.e.type === "episode_start");
    assert.equal(start?.i, 5);
    assert.equal(run(seq([0.1, 5], [0.85, 1], [0.1, 20]), { onsetStrong: 0.9 }).length, 0);
  });

  it("respects a minimum duration: short bursts are never reported", () => {
    const ev = run(seq([0.1, 3], [0.9, 3], [0.1, 20]), { minDurationSec: 3 });
    assert.equal(ev.length, 0);
    const long = run(seq([0.1, 3], [0.9, 6], [0.1, 20]), { minDurationSec: 3 });
    assert.deepEqual(
      startsAndEnds(long).map((x) => x.e.type),
      ["episode_start", "episode_end"],
    );
  });
});

describe("episode onset needs YAMNet support (yamnetSupport)", () => {
  /** Heads say crying throughout; YAMNet's own cry score per window from `yamnet`. */
  function runSupported(yamnet: number[], support: number) {
    const tracker = new EpisodeTracker({ ...params, yamnetSupport: support }, models, () => "ep");
    const starts: number[] = [];
    yamnet.forEach((y, i) => {
      for (const e of tracker.push(window(i, 0.9, null, y))) if (e.type === "episode_start") starts.push(i);
    });
    return starts;
  }

  it("blocks an onset while YAMNet's cry score stays below the support in the onset windows", () => {
    assert.deepEqual(runSupported(seq([0, 10]), 0.05), []);
    assert.deepEqual(runSupported(seq([0.04, 10]), 0.05), []);
  });

  it("allows the onset once one of the last onsetN windows reaches the support", () => {
    // YAMNet hears a cry only in window 5: the onset (2 of 3 over the threshold) happens there, not before.
    assert.deepEqual(runSupported([...seq([0, 5]), 0.05, ...seq([0, 4])], 0.05), [5]);
  });

  it("counts support from an earlier window still among the last onsetN", () => {
    // support at window 0; heads over threshold from window 0 on: onset at window 1 (2 of 3), window 0 in range
    assert.deepEqual(runSupported([0.3, ...seq([0, 9])], 0.05), [1]);
  });

  it("is off at 0 and treats an unknown YAMNet score as support", () => {
    assert.deepEqual(runSupported(seq([0, 10]), 0), [1]);
    assert.equal(
      run(seq([0.9, 10]), { yamnetSupport: 0.5 }).filter((x) => x.e.type === "episode_start").length,
      1,
    );
  });
});

describe("episode hold and release", () => {
  it("bridges gaps shorter than the hold and ends hold seconds after the last crying window", () => {
    // cry, 4 quiet windows (1.92 s < 3 s hold), cry again, then quiet
    const ev = startsAndEnds(run(seq([0.9, 4], [0.1, 4], [0.9, 4], [0.1, 30])));
    const types = ev.map((x) => x.e.type);
    assert.deepEqual(types, ["episode_start", "episode_end"]);
    const end = ev[1];
    assert.ok(end.e.type === "episode_end");
    const lastCryEnd = 11 * HOP + WIN;
    assert.equal(end.e.episode.endSec, lastCryEnd);
    // released on the first window whose end is ≥ hold after the last crying window's end
    assert.ok((end.i - 1) * HOP + WIN < lastCryEnd + params.holdSec);
    assert.ok(end.i * HOP + WIN >= lastCryEnd + params.holdSec);
  });

  it("splits gaps longer than the hold into two episodes (cooldown 0)", () => {
    const ev = startsAndEnds(run(seq([0.9, 4], [0.1, 10], [0.9, 4], [0.1, 30]), { cooldownSec: 0 }));
    assert.deepEqual(
      ev.map((x) => x.e.type),
      ["episode_start", "episode_end", "episode_start", "episode_end"],
    );
  });
});

describe("episode cooldown", () => {
  it("suppresses an onset inside the cooldown and allows one after it", () => {
    // episode 1 ends at last cry (window 3 end = 2.4 s); cooldown 5 s → until 7.4 s
    const inside = run(seq([0.9, 4], [0.1, 7], [0.9, 3], [0.1, 3]), { cooldownSec: 5, holdSec: 3 });
    assert.equal(inside.filter((x) => x.e.type === "episode_start").length, 1);
    const after = run(seq([0.9, 4], [0.1, 14], [0.9, 3], [0.1, 10]), { cooldownSec: 5, holdSec: 3 });
    assert.equal(after.filter((x) => x.e.type === "episode_start").length, 2);
  });
});

describe("episode split", () => {
  it("ends an episode at the maximum duration and starts the next at once", () => {
    const ev = run(seq([0.9, 60], [0.1, 20]), { maxDurationSec: 10 });
    const starts = ev.filter((x) => x.e.type === "episode_start");
    const ends = ev.filter((x) => x.e.type === "episode_end");
    assert.ok(starts.length >= 3, `several parts, got ${starts.length}`);
    assert.equal(starts.length, ends.length);
    for (const x of ends) {
      assert.ok(x.e.type === "episode_end");
      assert.ok(x.e.episode.durationSec <= 10 + HOP + 1e-9, `duration ${x.e.episode.durationSec}`);
    }
    // contiguous: each part starts where the previous ended
    for (let k = 1; k < starts.length; k++) {
      const prevEnd = ends[k - 1].e;
      const next = starts[k].e;
      assert.ok(prevEnd.type === "episode_end" && next.type === "episode_start");
      assert.equal(next.episode.startSec, prevEnd.episode.endSec);
      assert.notEqual(next.episode.id, prevEnd.episode.id);
    }
  });
});

describe("episode reason", () => {
  const probs = (hungry: number, tired: number): ReasonProbabilities => ({
    hungry,
    belly_pain: (1 - hungry - tired) / 3,
    burping: (1 - hungry - tired) / 3,
    discomfort: (1 - hungry - tired) / 3,
    tired,
  });

  it("reports the averaged reason, provisional after ~5 s and final at the end", () => {
    const ev = run(seq([0.9, 20], [0.1, 20]), {}, (i) => (i < 12 ? probs(0.8, 0.1) : probs(0.1, 0.8)));
    const update = ev.find((x) => x.e.type === "episode_update");
    const end = ev.find((x) => x.e.type === "episode_end");
    assert.ok(update?.e.type === "episode_update" && end?.e.type === "episode_end");
    assert.equal(update.e.episode.reason, "hungry");
    assert.ok(update.i * HOP + WIN >= 5 && (update.i - 1) * HOP + WIN < 5, "provisional at ~5 s");
    // over all 20 crying windows: hungry (12×0.8 + 8×0.1)/20 = 0.52, tired (12×0.1 + 8×0.8)/20 = 0.38
    assert.equal(end.e.episode.reason, "hungry");
    assert.ok(Math.abs(end.e.episode.probabilities!.hungry - 0.52) < 1e-9);
  });

  it('says "unsure" when the best averaged reason is below the confidence threshold', () => {
    const ev = run(seq([0.9, 10], [0.1, 20]), { unsureBelow: 0.5 }, () => probs(0.4, 0.3));
    const end = ev.find((x) => x.e.type === "episode_end");
    assert.ok(end?.e.type === "episode_end");
    assert.equal(end.e.episode.reason, "unsure");
    assert.ok(Math.abs(end.e.episode.confidence - 0.4) < 1e-9);
    const sure = run(seq([0.9, 10], [0.1, 20]), { unsureBelow: 0.35 }, () => probs(0.4, 0.3));
    const end2 = sure.find((x) => x.e.type === "episode_end");
    assert.ok(end2?.e.type === "episode_end");
    assert.equal(end2.e.episode.reason, "hungry");
  });

  it('is "unsure" without reason probabilities (YAMNet score only)', () => {
    const ev = run(seq([0.9, 10], [0.1, 20]));
    const end = ev.find((x) => x.e.type === "episode_end");
    assert.ok(end?.e.type === "episode_end");
    assert.equal(end.e.episode.reason, "unsure");
    assert.equal(end.e.episode.probabilities, null);
  });
});

describe("EpisodeEnds (what detect and room calibration report of each episode)", () => {
  it("gives each ended episode the time its episode_start reported it and its provisional reason", () => {
    const hungry = { hungry: 0.8, belly_pain: 0.05, burping: 0.05, discomfort: 0.05, tired: 0.05 };
    // a long episode (provisional reason at ~5 s), then a short one closed before it gets one
    const ev = run(seq([0.9, 20], [0.1, 20], [0.9, 4]), {}, () => hungry);
    const ends = new EpisodeEnds();
    const ended = ev.map((x) => ends.follow(x.e)).filter((x) => x !== null);
    const starts = ev.flatMap((x) => (x.e.type === "episode_start" ? [x.e] : []));
    assert.equal(ended.length, 2);
    assert.deepEqual(
      ended.map((x) => [x.episode.id, x.detectedSec, x.provisionalReason]),
      [
        [starts[0].episode.id, starts[0].at / 1000, "hungry"],
        [starts[1].episode.id, starts[1].at / 1000, null],
      ],
    );
  });
});

describe("episode close", () => {
  it("ends an open episode at its last crying window when closed", () => {
    const ev = run(seq([0.9, 10]));
    assert.deepEqual(
      ev.map((x) => x.e.type),
      ["episode_start", "episode_update", "episode_end"],
    );
    const end = ev[2].e;
    assert.ok(end.type === "episode_end");
    assert.equal(end.episode.endSec, 9 * HOP + WIN);
    assert.equal(end.episode.peak, 0.9);
    assert.equal(end.episode.startMs, T0);
  });
});
