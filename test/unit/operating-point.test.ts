import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configSchema } from "../../src/config/schema.js";
import { type EpisodeParams, resolveDetection } from "../../src/detection/episodes.js";
import type { RoomRecording } from "../../src/detection/room-calibration.js";
import type { MixEvent } from "../../src/dev/mix.js";
import { DEFAULT_MIX } from "../../src/dev/mix.js";
import type { ScoredMixWindow } from "../../src/dev/mix-eval.js";
import { chooseOperatingPoint, lowestWithinBudget } from "../../src/dev/operating-point/choose.js";
import { crossFit } from "../../src/dev/operating-point/cross-fit.js";
import { writeOperatingPoint } from "../../src/dev/operating-point/heads-files.js";
import {
  OPERATING_POINT_HEADING,
  operatingPointSection,
  withSection,
} from "../../src/dev/operating-point/model-card.js";
import { parseCalibrateEpisodeArgs } from "../../src/dev/operating-point/options.js";
import { pooled, pooledAt } from "../../src/dev/operating-point/pooling.js";
import { measureRoomCalibration, OTHER_PARTS, WHOLE_CLIPS } from "../../src/dev/operating-point/room.js";
import type { Half, Part, ScoredMix } from "../../src/dev/operating-point/types.js";

/** the code's defaults for the heads: 3 of 4 windows over 0.75, onsetStrong off, hold 6 s, cooldown 3 s */
const params: EpisodeParams = resolveDetection(configSchema.parse({}).detection, "heads");
const HOP = 0.48;
const WIN = 0.96;
/** end of the third window of a burst starting on a window boundary: when onset 3 of 4 reports it */
const THIRD_WINDOW_END = 2 * HOP + WIN;

/** A stretch of a hand-built mix: every window wholly inside it scores `score`. */
interface Span {
  kind: "cry" | "household";
  start: number;
  end: number;
  score: number;
  snrDb?: number;
  label?: string;
  /** only every other window (even ones) scores `score` */
  alternate?: boolean;
}

/** A 250-s mix whose windows score 0.1 except inside `spans`. */
function mixOf(seed: number, half: Half, spans: Span[], durationSec = 250): ScoredMix {
  const windows: ScoredMixWindow[] = [];
  for (let i = 0; i * HOP + WIN <= durationSec; i++) {
    const startSec = i * HOP;
    const endSec = startSec + WIN;
    const span = spans.find((s) => startSec >= s.start - 1e-9 && endSec <= s.end + 1e-9);
    windows.push({
      startSec,
      endSec,
      levelDbfs: -40,
      cry: span && !(span.alternate && i % 2 === 1) ? span.score : 0.1,
      yamnetCry: 0,
      laughter: 0,
      reasons: null,
    });
  }
  const events: MixEvent[] = spans.map((s, i) => ({
    kind: s.kind,
    start: s.start,
    end: s.end,
    onset: s.start,
    source: s.kind === "cry" ? `donateacry/hungry/cry${seed}-${i}.wav` : `household/${s.label}/1-${i}-A.wav`,
    label: s.kind === "cry" ? "hungry" : (s.label ?? "cat"),
    snrDb: s.kind === "cry" ? (s.snrDb ?? 20) : null,
    levelDbfs: -30,
  }));
  const options = { ...DEFAULT_MIX, seed, minutes: durationSec / 60 };
  return { seed, half, windows, mix: { events, options, durationSec, inputs: {}, background: [] } };
}

// 60 s apart (hold 6 s, cooldown 3 s: no episode runs into the next); 60, 180 and 300 are window starts
const cry = (start: number, score = 0.97, snrDb = 20): Span => ({
  kind: "cry",
  start,
  end: start + 5,
  score,
  snrDb,
});
const noise = (start: number, score: number, label: string): Span => ({
  kind: "household",
  start,
  end: start + 5,
  score,
  label,
});
// half a: a cat the heads score 0.93; half b: a dog at 0.96 and a quiet 0 dB cry at 0.5
const mixA = mixOf(1, "a", [cry(60), noise(120, 0.93, "cat"), cry(180)]);
const mixB = mixOf(4, "b", [cry(60), noise(120, 0.96, "dog"), cry(240, 0.5, 0)]);
const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe("pooledAt / pooled", () => {
  it("sums cries, finds and false episodes over mixes and divides by the summed hours without crying", () => {
    const r = pooled([mixA, mixB], params, 0.9, { onsetN: 4, onsetStrong: 1 });
    assert.equal(r.threshold, 0.9);
    assert.equal(r.cries, 4);
    assert.equal(r.found, 3); // the 0.5 cry is below 0.9
    assert.equal(r.recall, 3 / 4);
    assert.equal(r.falseEpisodes, 2); // the cat and the dog
    near(r.nonCryHours, (250 - 10 + 250 - 10) / 3600);
    near(r.falsePerHour, 2 / ((250 - 10 + 250 - 10) / 3600));
    near(r.latencyMedianSec, THIRD_WINDOW_END);
    near(r.latencyP95Sec, THIRD_WINDOW_END);
    assert.deepEqual(r.bySnr, { "20 dB": "3/3", "0 dB": "0/1" });
    assert.deepEqual(r.falseByLabel, { "household:cat": 1, "household:dog": 1 });
  });

  it("scores each run at its own threshold and onset", () => {
    const r = pooledAt(
      [
        { set: mixA, threshold: 0.95, onset: { onsetN: 4, onsetStrong: 0.97 } }, // cat quiet, cries at once
        { set: mixB, threshold: 0.4, onset: { onsetN: 4, onsetStrong: 1 } }, // finds the 0.5 cry and the dog
      ],
      params,
    );
    assert.equal(r.found, 4);
    assert.equal(r.falseEpisodes, 1);
    assert.deepEqual(r.falseByLabel, { "household:dog": 1 });
    // two cries found by their first window (0.96 s), two by the third
    near(r.latencyMedianSec, WIN);
    near(r.latencyP95Sec, THIRD_WINDOW_END);
  });
});

describe("lowestWithinBudget", () => {
  it("returns the first threshold on the grid within the budget, with its figures, measuring no further", () => {
    const measured: number[] = [];
    const measure = (t: number) => {
      measured.push(t);
      return { falsePerHour: t < 0.5 ? 2 : 0.5 };
    };
    assert.deepEqual(lowestWithinBudget(measure, 1, [0.3, 0.4, 0.5, 0.6]), {
      threshold: 0.5,
      figures: { falsePerHour: 0.5 },
    });
    assert.deepEqual(measured, [0.3, 0.4, 0.5]);
    assert.equal(lowestWithinBudget(measure, 0, [0.3, 0.6]), undefined);
    // no hours without crying: NaN per hour is never within a budget
    assert.equal(
      lowestWithinBudget(() => ({ falsePerHour: Number.NaN }), 1),
      undefined,
    );
  });
});

describe("chooseOperatingPoint", () => {
  const grid = { onsetNs: [2, 4, 5], strongs: [1, 0.95], maxFalsePerHour: 0, maxLatencySec: 2 };

  it("takes the lowest threshold that keeps the household sound quiet, and the faster onset when it finds as many", () => {
    const p = chooseOperatingPoint([mixA], params, grid);
    assert.ok(p);
    assert.equal(p.threshold, 0.93); // 0.93 is not above 0.93
    assert.equal(p.onsetStrong, 0.95); // the 0.97 cries start at their first window
    assert.equal(p.onsetN, 4); // 2 is below onsetK; 5 finds as many, no sooner
    assert.equal(p.found, 2);
    near(p.latencyMedianSec, WIN);
  });

  it("lets onsetStrong start an episode only from a window over the threshold", () => {
    // the dog (0.96) is above onsetStrong 0.95 but not above the threshold 0.96: quiet, and the cry is found at once
    const p = chooseOperatingPoint([mixB], params, grid);
    assert.ok(p);
    assert.equal(p.threshold, 0.96);
    assert.equal(p.onsetStrong, 0.95);
    assert.equal(p.falseEpisodes, 0);
    assert.equal(p.found, 1); // the 0.5 cry is below 0.96
    near(p.latencyMedianSec, WIN);
  });

  it("prefers a point within the latency goal to one that finds more cries late", () => {
    // one steady cry, and two that only cry every other window: 3 of 6 windows finds those 3.36 s in, 3 of 4 never
    const mix = mixOf(
      2,
      "a",
      [cry(60), { ...cry(180), alternate: true }, { ...cry(300), alternate: true }],
      400,
    );
    const choose = (maxLatencySec: number) =>
      chooseOperatingPoint([mix], params, {
        onsetNs: [4, 6],
        strongs: [1],
        maxFalsePerHour: 0,
        maxLatencySec,
      });
    const fast = choose(2);
    assert.equal(fast?.onsetN, 4);
    assert.equal(fast?.found, 1);
    near(fast?.latencyMedianSec ?? 0, THIRD_WINDOW_END);
    const slow = choose(4);
    assert.equal(slow?.onsetN, 6);
    assert.equal(slow?.found, 3);
    near(slow?.latencyMedianSec ?? 0, 5 * HOP + WIN); // the third crying window is the 6th
    assert.equal(slow?.threshold, 0.1); // the quiet windows score 0.1, which is not above 0.1
  });

  it("is undefined when no point on the grid is within the budget", () => {
    const siren = mixOf(3, "a", [cry(60), noise(120, 1, "siren")]); // above every threshold on the grid
    assert.equal(chooseOperatingPoint([siren], params, grid), undefined);
  });
});

describe("crossFit", () => {
  const grid = { onsetNs: [4], strongs: [1], maxFalsePerHour: 0, maxLatencySec: 2 };

  it("measures each half's point on the other half, pools both ways, and chooses the shipped point on both", () => {
    const c = crossFit([mixA], [mixB], params, grid);
    assert.ok(c);
    assert.equal(c.chosenOnCal.threshold, 0.93);
    assert.equal(c.chosenOnRep.threshold, 0.96);
    // half a's point hears half b's dog (0.96 > 0.93); half b's point is quiet on half a
    assert.equal(c.calOnRep.falseEpisodes, 1);
    assert.deepEqual(c.calOnRep.falseByLabel, { "household:dog": 1 });
    assert.equal(c.repOnCal.falseEpisodes, 0);
    assert.equal(c.crossFitted.falseEpisodes, 1);
    assert.equal(c.crossFitted.cries, 4);
    assert.equal(c.crossFitted.found, 3);
    near(c.crossFitted.falsePerHour, 1 / ((250 - 10 + 250 - 10) / 3600));
    assert.equal(c.both?.threshold, 0.96);
    assert.equal(c.both?.falseEpisodes, 0);
  });

  it("is undefined when one half has no point within the budget", () => {
    const loud = mixOf(3, "b", [cry(60), noise(120, 1, "siren")]); // above every threshold on the grid
    assert.equal(crossFit([mixA], [loud], params, grid), undefined);
  });
});

describe("measureRoomCalibration", () => {
  /** Ten quiet minutes with a household sound at `score` twice. */
  const nightOf = (score: number): RoomRecording => {
    const n = mixOf(11, "a", [noise(120, score, "dog"), noise(420, score, "dog")], 600);
    return { name: "night 11", durationSec: 600, windows: n.windows };
  };
  const requested: string[] = [];
  const sources = {
    async cryMixesOfPart(half: Half, whole: readonly ScoredMix[], part: Part) {
      requested.push(`${half}${part ?? ""}`);
      return whole;
    },
    async roomNight(_night: number, half: Half) {
      return nightOf(half === "a" ? 0.93 : 0.96);
    },
  };

  it("raises each half's starting point until its night is quiet and measures it on that half's cry mixes", async () => {
    const start = (threshold: number) => pooled([], params, threshold, { onsetN: 4, onsetStrong: 1 });
    const m = await measureRoomCalibration({
      mixes: sources,
      params,
      halves: [
        { half: "a", whole: [mixA], start: start(0.9) },
        { half: "b", whole: [mixB], start: start(0.9) },
      ],
      nights: [11],
      pairs: WHOLE_CLIPS,
      budget: 0,
    });
    assert.equal(m.start.falseEpisodes, 2); // at 0.9 both halves hear their household sound
    assert.equal(m.rows.length, 1);
    const [a, b] = m.rows[0].halves;
    assert.equal(a.nightEpisodes, 2);
    assert.deepEqual(a.calibrated, { threshold: 0.93, onsetStrong: 1 });
    assert.deepEqual(b.calibrated, { threshold: 0.96, onsetStrong: 1 });
    assert.equal(m.rows[0].r.falseEpisodes, 0);
    assert.equal(m.rows[0].r.found, 3); // b's 0.5 cry stays below 0.96
  });

  it("asks for the cry mixes of the parts the pairing names", async () => {
    requested.length = 0;
    const start = pooled([], params, 0.9, { onsetN: 4, onsetStrong: 1 });
    await measureRoomCalibration({
      mixes: sources,
      params,
      halves: [{ half: "a", whole: [mixA], start }],
      nights: [],
      pairs: OTHER_PARTS,
      budget: 1,
    });
    assert.deepEqual(requested, ["a1", "a0"]);
  });
});

describe("parseCalibrateEpisodeArgs", () => {
  it("has the documented defaults", () => {
    const o = parseCalibrateEpisodeArgs([]);
    assert.deepEqual(o.calibrateSeeds, [1, 3]);
    assert.deepEqual(o.reportSeeds, [4, 2]);
    assert.equal(o.minutes, 60);
    assert.equal(o.maxFalsePerHour, 1);
    assert.equal(o.scoreSource, "heads");
    assert.deepEqual(o.strongGrid, [1, 0.999, 0.998, 0.995]);
    assert.deepEqual(o.onsetNGrid, [4, 5, 6]);
    assert.deepEqual(o.roomNights, []);
    assert.deepEqual(o.roomBudgets, [0, 1]); // babymon calibrate's default, then --max-false-per-hour
    assert.ok(o.headsDir.endsWith("models/babymon-heads"));
    assert.deepEqual(parseCalibrateEpisodeArgs(["--max-false-per-hour", "0"]).roomBudgets, [0]);
    assert.deepEqual(parseCalibrateEpisodeArgs(["--room-nights", "11,12"]).roomNights, [11, 12]);
  });

  it("rejects values out of range, naming the flag and the value", () => {
    const rejects = (args: string[], message: string) =>
      assert.throws(() => parseCalibrateEpisodeArgs(args), { message });
    rejects(["--score-source", "auto"], "Expected `--score-source` to be heads or yamnet, got auto");
    rejects(["--strong-grid", "1,1.5"], "Expected `--strong-grid` to list numbers in (0, 1], got 1,1.5");
    rejects(["--onset-n-grid", "4,0"], "Expected `--onset-n-grid` to list integers 1–20, got 4,0");
    rejects(["--room-budgets", "0,-1"], "Expected `--room-budgets` to list numbers ≥ 0, got 0,-1");
  });
});

describe("the operating point written to the heads", () => {
  it("states the shipped point in the model card and writes it into manifest.json, keeping the rest", () => {
    const c = crossFit([mixA], [mixB], params, {
      onsetNs: [4],
      strongs: [1],
      maxFalsePerHour: 0,
      maxLatencySec: 2,
    });
    assert.ok(c?.both);
    const section = operatingPointSection({
      params,
      halfSizes: [94, 93],
      onsetNs: [4],
      strongs: [1],
      maxFalsePerHour: 0,
      maxLatencySec: 2,
      crossFit: { ...c, both: c.both },
      room: [],
      roomNights: [],
      roomMinutes: 60,
    });
    assert.ok(section.startsWith(`${OPERATING_POINT_HEADING}\n`));
    assert.match(section, /\*\*`thresholds\.episode` = 0\.96\*\*, \*\*`thresholds\.onsetN` = 4\*\*/);
    assert.match(section, /\*\*`thresholds\.onsetStrong` = 1\*\* \(off\)/);
    assert.match(section, /halves a \(94 files\) and b \(93 files\)/);
    assert.match(
      section,
      /\| half a \(0\.93, 3 of 4\) → half b \| 50\.0 % \(1\/2\) \| 15\.00 \(1 in 0\.07 h\) \|/,
    );
    assert.ok(!section.includes("Room calibration, measured"));

    const dir = mkdtempSync(join(tmpdir(), "babymon-heads-"));
    try {
      writeFileSync(join(dir, "manifest.json"), JSON.stringify({ name: "x", thresholds: { unsure: 0.5 } }));
      writeFileSync(join(dir, "model-card.md"), "# Card\n\n## Data\n\nd\n");
      writeOperatingPoint(dir, c.both, section);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")), {
        name: "x",
        thresholds: { unsure: 0.5, episode: 0.96, onsetN: 4, onsetStrong: 1 },
      });
      assert.equal(readFileSync(join(dir, "model-card.md"), "utf8"), `# Card\n\n## Data\n\nd\n\n${section}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("withSection", () => {
  const section = `${OPERATING_POINT_HEADING}\n\nnew text\n`;

  it("replaces the operating-point section up to the next heading", () => {
    const card = `# Card\n\n## Data\n\nd\n\n${OPERATING_POINT_HEADING}\n\nold text\n\n## Limits\n\nl\n`;
    assert.equal(withSection(card, section), `# Card\n\n## Data\n\nd\n\n${section}\n## Limits\n\nl\n`);
  });

  it("replaces it to the end when it is last, and appends it when there is none", () => {
    assert.equal(
      withSection(`# Card\n\n${OPERATING_POINT_HEADING}\n\nold\n`, section),
      `# Card\n\n${section}`,
    );
    assert.equal(withSection("# Card\n\ntext\n\n", section), `# Card\n\ntext\n\n${section}`);
  });
});
