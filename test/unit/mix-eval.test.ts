import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/config/schema.js";
import { type EpisodeParams, resolveDetection } from "../../src/detection/episodes.js";
import type { MixEvent } from "../../src/dev/mix.js";
import {
  type EpisodeSpan,
  episodesFor,
  quantile,
  REPORT_GRACE_SEC,
  type ScoredMixWindow,
  scoreMix,
} from "../../src/dev/mix-eval.js";

const cry = (start: number, end: number, onset: number, snrDb: number, source = "dac/a.wav"): MixEvent => ({
  kind: "cry",
  start,
  end,
  onset,
  source,
  label: "hungry",
  snrDb,
  levelDbfs: -30,
});
const household = (start: number, end: number, label: string): MixEvent => ({
  kind: "household",
  start,
  end,
  onset: start,
  source: `household/${label}/1-1-A.wav`,
  label,
  snrDb: null,
  levelDbfs: -25,
});
/** An episode reported at `detected` (its span only matters for nothing: matching is by report time). */
const reported = (detected: number, start = detected - 1, end = detected + 6): EpisodeSpan => ({
  start,
  end,
  detected,
  peak: 0.99,
});

// A 10-minute mix: three cries (one at 0 dB), a cat, and two background clips under everything.
const events: MixEvent[] = [
  cry(100, 110, 101, 20),
  cry(200, 205, 200.5, 0),
  cry(300, 310, 300, 20),
  household(400, 420, "cat"),
];
const background = [
  { start: 0, end: 500, label: "rain", levelDbfs: -45 },
  { start: 500, end: 600, label: "wind", levelDbfs: -45 },
];

describe("scoreMix", () => {
  it("counts found cries, false episodes per hour without crying, latency from the cry's onset", () => {
    const s = scoreMix(
      [
        reported(102), // cry 1, 1 s after its onset
        reported(103), // cry 1 again: neither a second find nor a false episode
        reported(208), // cry 2 ends at 205: found exactly at the end of the grace period, 7.5 s after its onset
        reported(313.01), // cry 3 ends at 310: just past the grace period — missed, and a false episode
        reported(410), // during the cat
        reported(550), // background only
      ],
      events,
      600,
      background,
    );
    assert.equal(REPORT_GRACE_SEC, 3);
    assert.equal(s.cries, 3);
    assert.equal(s.found, 2);
    assert.equal(s.recall, 2 / 3);
    assert.deepEqual(s.recallBySnr, { "20 dB": { cries: 2, found: 1 }, "0 dB": { cries: 1, found: 1 } });
    assert.equal(s.falseEpisodes, 3);
    // 600 s minus 25 s of crying
    assert.equal(s.nonCryHours, 575 / 3600);
    assert.equal(s.falsePerHour, 3 / (575 / 3600));
    assert.deepEqual(s.falseByLabel, { "background:rain": 1, "household:cat": 1, "background:wind": 1 });
    assert.deepEqual(s.latencies, [1, 7.5]);
    assert.equal(s.latencyMedianSec, 1);
    assert.equal(s.latencyP95Sec, 7.5);
  });

  it("matches by report time: an episode reported before a cry starts, however long, is a false episode", () => {
    const endless = reported(99.9, 0, 600);
    const s = scoreMix([endless], events, 600, background);
    assert.equal(s.found, 0);
    assert.equal(s.falseEpisodes, 1);
    assert.deepEqual(s.falseByLabel, { "background:rain": 1 });
    assert.ok(Number.isNaN(s.latencyMedianSec));
  });

  it("the earliest report of a cry gives its latency, whatever the order of the episodes", () => {
    const s = scoreMix([reported(106), reported(104)], events, 600);
    assert.deepEqual(s.latencies, [3]);
    assert.equal(s.falseEpisodes, 0);
  });

  it("labels a false episode by the event playing in the second before its report", () => {
    // reported 0.5 s after the cat ended: the second before it still overlaps the cat
    const s = scoreMix([reported(420.5), reported(421.5)], events, 600, background);
    assert.deepEqual(s.falseByLabel, { "household:cat": 1, "background:rain": 1 });
    // no background given: "?"
    assert.deepEqual(scoreMix([reported(550)], events, 600).falseByLabel, { "background:?": 1 });
  });

  it("without cries: recall NaN, every episode false, every second counts as without crying", () => {
    const s = scoreMix([reported(10), reported(20)], [household(5, 25, "dog")], 1800);
    assert.equal(s.cries, 0);
    assert.ok(Number.isNaN(s.recall));
    assert.equal(s.nonCryHours, 0.5);
    assert.equal(s.falsePerHour, 4);
  });
});

describe("quantile", () => {
  it("is the nearest rank of an ascending list", () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.equal(quantile(twenty, 0.5), 10);
    assert.equal(quantile(twenty, 0.95), 19);
    assert.equal(quantile(twenty, 1), 20);
    assert.equal(quantile(twenty, 0), 1);
    assert.equal(quantile([4.2], 0.95), 4.2);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });
});

describe("episodesFor", () => {
  /** 3 of 4 windows over 0.5 */
  const params: EpisodeParams = {
    ...resolveDetection(configSchema.parse({}).detection, "heads"),
    threshold: 0.5,
  };
  /** 0.96 s windows every 0.48 s over 60 s; `score(i)` gives window i's cry and laughter */
  const windows = (score: (i: number) => Partial<ScoredMixWindow>): ScoredMixWindow[] =>
    Array.from({ length: 124 }, (_, i) => ({
      startSec: i * 0.48,
      endSec: i * 0.48 + 0.96,
      levelDbfs: -40,
      cry: 0.1,
      yamnetCry: 0.05,
      laughter: 0,
      reasons: null,
      ...score(i),
    }));

  it("reports an episode at the end of the onsetK-th crying window, scored by scoreMix from there", () => {
    // windows 50–60 (24.0 s … 29.76 s) cry
    const w = windows((i) => (i >= 50 && i <= 60 ? { cry: 0.9 } : {}));
    const eps = episodesFor(w, params);
    assert.equal(eps.length, 1);
    assert.ok(Math.abs(eps[0].start - 24) < 1e-9, `start ${eps[0].start}`);
    assert.ok(Math.abs(eps[0].detected - (52 * 0.48 + 0.96)) < 1e-9, `detected ${eps[0].detected}`);
    const s = scoreMix(eps, [cry(24, 30, 24, 10)], 60);
    assert.equal(s.found, 1);
    assert.ok(Math.abs(s.latencies[0] - 1.92) < 1e-9);
  });

  it("applies the laughter veto to the heads' score, and can replay YAMNet's own score instead", () => {
    const laughing = windows((i) => (i >= 50 && i <= 60 ? { cry: 0.9, laughter: 0.6, yamnetCry: 0.3 } : {}));
    assert.equal(episodesFor(laughing, params).length, 0);
    assert.equal(episodesFor(laughing, { ...params, laughterVeto: 1 }).length, 1);
    assert.equal(episodesFor(laughing, { ...params, threshold: 0.2 }, "yamnetCry").length, 1);
  });
});
