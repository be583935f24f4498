import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assignFolds } from "../../src/dev/benchmark/folds.js";
import { CRY, LEFT_OUT, NOT_CRY, windowLabels } from "../../src/dev/benchmark/labels.js";
import { choosePoint, type OperatingPoint, paramsAt } from "../../src/dev/benchmark/operating-point.js";
import { episodesOf, REPORT_GRACE_SEC, scoreStream } from "../../src/dev/benchmark/scorer.js";
import { cryFamily, escCategory, nurseryCategory, speaker } from "../../src/dev/benchmark/sources.js";
import { summarise } from "../../src/dev/benchmark/summary.js";
import type { BenchClip, BenchEpisode, BenchWindow, StreamEvent } from "../../src/dev/benchmark/types.js";

const cry = (start: number, end: number, onset: number, source: string): StreamEvent => ({
  kind: "cry",
  source,
  category: null,
  start,
  end,
  onset,
  files: [`${source}.wav`],
  snrDb: 10,
  bandLimited: false,
});
const neg = (start: number, end: number, source: string, category: StreamEvent["category"]): StreamEvent => ({
  kind: "negative",
  source,
  category,
  start,
  end,
  onset: start,
  files: [`${source}.wav`],
  snrDb: null,
  bandLimited: false,
});
const ep = (startSec: number, detectedSec: number, endSec = detectedSec + 2): BenchEpisode => ({
  startSec,
  detectedSec,
  endSec,
});

describe("benchmark scorer", () => {
  const events = [
    cry(10, 17, 11, "family:a"),
    neg(30, 40, "esc50:cat", "cat"),
    cry(50, 57, 50.5, "family:b"),
    neg(70, 90, "speaker:June", "speech"),
    cry(100, 107, 100, "family:a"),
  ];

  it("matches an episode reported during a cry or within the grace after it, with the latency from the onset", () => {
    const s = scoreStream([ep(10.5, 12.9), ep(56, 57 + REPORT_GRACE_SEC - 0.1)], events, 120);
    assert.deepEqual(
      s.cries.map((c) => [
        c.source,
        c.found,
        c.latencySec === null ? null : Math.round(c.latencySec * 100) / 100,
      ]),
      [
        ["family:a", true, 1.9],
        ["family:b", true, 9.4],
        ["family:a", false, null],
      ],
    );
  });

  it("takes the earliest report of a cry, and an episode reported after the grace is false", () => {
    const s = scoreStream([ep(101, 104), ep(100, 102), ep(105, 107 + REPORT_GRACE_SEC + 0.5)], events, 120);
    assert.equal(s.cries[2].latencySec, 2);
    const bg = s.negatives.find((n) => n.category === "background")!;
    assert.equal(bg.falseEpisodes, 1);
  });

  it("charges each false episode to the negative event it overlaps most, else to the background", () => {
    const s = scoreStream(
      [ep(31, 33), ep(39, 41.5), ep(71, 73), ep(88, 91), ep(92, 93.5), ep(20, 22)],
      events,
      120,
      "background:0",
    );
    const by = Object.fromEntries(
      s.negatives.map((n) => [n.source, [n.category, n.seconds, n.falseEpisodes]]),
    );
    assert.deepEqual(by["esc50:cat"], ["cat", 10, 2]);
    assert.deepEqual(by["speaker:June"], ["speech", 20, 2]);
    // 120 s − 21 s of cries − 30 s of negatives
    assert.deepEqual(by["background:0"], ["background", 69, 2]);
  });

  it("pools per category and per source: recall, false episodes per hour, latency quantiles", () => {
    const a = scoreStream([ep(10.5, 12.9), ep(31, 33)], events, 120, "background:0");
    const b = scoreStream([ep(100, 103), ep(71, 73), ep(75, 76)], events, 120, "background:1");
    const s = summarise([a, b], 200);
    assert.equal(s.cries, 6);
    assert.equal(s.found, 2);
    assert.ok(Math.abs(s.recall.value - 2 / 6) < 1e-12);
    assert.equal(s.byCategory.cat.falseEpisodes, 1);
    assert.ok(Math.abs(s.byCategory.cat.hours - 20 / 3600) < 1e-12);
    assert.ok(Math.abs(s.byCategory.speech.perHour.value - 2 / (40 / 3600)) < 1e-9);
    assert.equal(s.byCategory.dog.hours, 0);
    assert.ok(Number.isNaN(s.byCategory.dog.perHour.value));
    assert.equal(s.falseEpisodes, 3);
    assert.ok(Math.abs(s.falsePerHour.value - 3 / ((240 - 42) / 3600)) < 1e-9);
    assert.ok(Math.abs(s.latencyMedianSec.value - 1.9) < 1e-9);
    assert.equal(s.latencyP95Sec.value, 3);
    assert.ok(s.recall.lo <= s.recall.value && s.recall.value <= s.recall.hi);
  });

  it("counts recall by the cry's recording: its 16 kHz original or the 8 kHz clip", () => {
    const original = { ...cry(10, 17, 11, "family:a"), files: ["more-data/donateacry-16k/hungry/a.wav"] };
    const clip = { ...cry(50, 57, 50.5, "family:b"), files: ["data/donateacry/hungry/b.wav"] };
    const s = summarise([scoreStream([ep(10.5, 12.9)], [original, clip], 120)], 50);
    assert.deepEqual(s.recallByBand, {
      "16 kHz original": { cries: 1, found: 1 },
      "8 kHz only": { cries: 1, found: 0 },
    });
  });

  it("replays windows through the daemon's episode logic, laughter veto included", () => {
    const w = (startSec: number, cryScore: number, laughter = 0): BenchWindow => ({
      startSec,
      endSec: startSec + 0.975,
      cry: cryScore,
      yamnetCry: 0,
      laughter,
    });
    const point: OperatingPoint = { threshold: 0.5, onsetN: 4, onsetStrong: 1 };
    const crying = Array.from({ length: 10 }, (_, i) => w(i * 0.48, i >= 2 && i <= 6 ? 0.9 : 0.1));
    const eps = episodesOf(crying, paramsAt(point));
    assert.equal(eps.length, 1);
    // onset at the third crying window (index 4): its end is the report time
    assert.ok(Math.abs(eps[0].detectedSec - (4 * 0.48 + 0.975)) < 1e-9);
    assert.ok(Math.abs(eps[0].startSec - 2 * 0.48) < 1e-9);
    const laughing = crying.map((x) => ({ ...x, laughter: 0.9 }));
    assert.equal(episodesOf(laughing, paramsAt(point)).length, 0);
  });

  it("chooses the point finding most cries within the false-alarm budget", () => {
    const grid: OperatingPoint[] = [0.3, 0.6, 0.9].map((threshold) => ({
      threshold,
      onsetN: 4,
      onsetStrong: 1,
    }));
    const low = scoreStream([ep(10.5, 12), ep(50, 52), ep(100, 101), ep(31, 32), ep(75, 76)], events, 7200);
    const mid = scoreStream([ep(10.5, 12), ep(50, 52), ep(31, 32)], events, 7200);
    const high = scoreStream([ep(10.5, 12)], events, 7200);
    // per grid point: low finds 3 cries with 2 false episodes in ~2 h, mid 2 with 1, high 1 with none
    assert.equal(choosePoint(grid, [[low, mid, high]], 1), 1);
    assert.equal(choosePoint(grid, [[low, mid, high]], 0.6), 1);
    assert.equal(choosePoint(grid, [[low, mid, high]], 0.4), 2);
    assert.equal(choosePoint(grid, [[low, mid, high]], 1.1), 0);
  });
});

describe("benchmark sources, folds and labels", () => {
  it("names sources as the data README groups them", () => {
    assert.equal(
      cryFamily("0d0b1a0c-7a3c-4b7e-9d2a-1f2e3d4c5b6a-1430-v2-m-04-hu.wav"),
      "family:0d0b1a0c-7a3c-4b7e-9d2a-1f2e3d4c5b6a",
    );
    assert.equal(speaker("en_US_f_Allison_3.wav"), speaker("es_MX_f_Allison_1.wav"));
    assert.notEqual(speaker("fr_CA_f_June_1.wav"), speaker("it_IT_m_Carlo_1.wav"));
    assert.equal(escCategory("sheep"), "other animals");
    assert.equal(escCategory("vacuum_cleaner"), "household");
    assert.equal(nurseryCategory("noise_white-noise.wav"), "white noise");
    assert.equal(nurseryCategory("lullaby_mozart-brahms-lull.wav"), "music/lullaby");
  });

  it("keeps every clip of a source in one fold and spreads each category over folds", () => {
    const clips: BenchClip[] = [];
    for (let f = 0; f < 10; f++)
      for (let n = 0; n < 3; n++)
        clips.push({ rel: `c${f}-${n}`, source: `family:${f}`, kind: "cry", category: null });
    for (const s of ["a", "b", "c", "d", "e"])
      clips.push({ rel: `s-${s}`, source: `speaker:${s}`, kind: "negative", category: "speech" });
    clips.push({ rel: "n1", source: "nursery", kind: "negative", category: "music/lullaby" });
    clips.push({ rel: "n2", source: "nursery", kind: "negative", category: "white noise" });
    const folds = assignFolds(clips, 5, 3);
    assert.equal(folds.size, 16);
    const per = (prefix: string) =>
      [0, 1, 2, 3, 4].map((k) => [...folds].filter(([s, f]) => s.startsWith(prefix) && f === k).length);
    assert.deepEqual(per("family:"), [2, 2, 2, 2, 2]);
    assert.deepEqual(per("speaker:"), [1, 1, 1, 1, 1]);
    assert.throws(() => assignFolds(clips, 1), /integer ≥ 2/);
  });

  it("labels windows crying, not crying or left out", () => {
    const evs = [cry(10, 17, 11, "family:a"), neg(20, 25, "esc50:dog", "dog")];
    const labels = windowLabels([0, 9.8, 10.6, 16.3, 16.6, 20.5], evs);
    assert.deepEqual(
      labels.map((l) => [l.label, l.group]),
      [
        [NOT_CRY, "background"],
        [LEFT_OUT, "cry"],
        [CRY, "cry"],
        [CRY, "cry"],
        [LEFT_OUT, "cry"],
        [NOT_CRY, "dog"],
      ],
    );
  });

  it("marks the windows of a band-limited stretch, its margin included", () => {
    const evs = [
      { ...cry(10, 17, 11, "family:a"), bandLimited: true },
      neg(30, 35, "esc50:dog", "dog"),
      { ...neg(50, 55, "esc50:cat", "cat"), bandLimited: true },
    ];
    // a window is 0.975 s; the margin is 1 s: band-limited from 9 to 18 s and from 49 to 56 s
    const starts = [7.9, 8.1, 12, 17.9, 18, 31, 48.1, 55.9, 56];
    assert.deepEqual(
      windowLabels(starts, evs).map((l) => l.bandLimited),
      [false, true, true, true, false, false, true, true, false],
    );
    assert.deepEqual(
      windowLabels(starts, evs, undefined, 0).map((l) => l.bandLimited),
      [false, false, true, false, false, false, false, false, false],
    );
  });
});
