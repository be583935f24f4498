import assert from "node:assert/strict";
import { test } from "node:test";
import type { ScoredFold } from "../../src/dev/benchmark/operating-point.js";
import { listBenchClips } from "../../src/dev/benchmark/sources.js";
import type { BenchWindow, StreamEvent } from "../../src/dev/benchmark/types.js";
import { heldOutLists, withoutHeldOut } from "../../src/train/detector-block.js";
import { heldOutSources } from "../../src/train/held-out.js";

const event = (
  kind: "cry" | "negative",
  source: string,
  start: number,
  end: number,
  under?: string,
): StreamEvent => ({
  kind,
  source,
  category: kind === "cry" ? null : "cat",
  start,
  end,
  onset: start,
  files: [`${source}.wav`],
  snrDb: kind === "cry" ? 10 : null,
  ...(under ? { under: { source: under, category: "speech" } } : {}),
  bandLimited: false,
});

test("held-out events leave the point's streams: their windows score 0 and their time leaves the duration", () => {
  const windows: BenchWindow[] = Array.from({ length: 100 }, (_, i) => ({
    startSec: i * 0.5,
    endSec: i * 0.5 + 0.975,
    cry: 0.9,
    yamnetCry: 0.5,
    laughter: 0,
  }));
  const fold: ScoredFold = {
    fold: 0,
    windows,
    events: [
      event("cry", "family:kept", 2, 6),
      event("negative", "esc50:cat", 10, 15),
      event("cry", "family:kept2", 20, 25, "speaker:fr_CA_f_June"),
      event("negative", "esc50:dog", 30, 35),
    ],
    durationSec: 50,
  };
  const out = withoutHeldOut(fold, new Set(["esc50:cat", "speaker:fr_CA_f_June"]));
  assert.deepEqual(
    out.events.map((e) => e.source),
    ["family:kept", "esc50:dog"],
  );
  assert.equal(out.durationSec, 40);
  for (const w of out.windows) {
    const inHeld = (w.startSec < 15 && w.endSec > 10) || (w.startSec < 25 && w.endSec > 20);
    assert.equal(w.cry, inHeld ? 0 : 0.9, `window at ${w.startSec}`);
  }
  assert.equal(withoutHeldOut(fold, new Set(["nobody"])), fold);
});

test("the held-out clips are listed by what the daemon's test checks", () => {
  const lists = heldOutLists({
    sources: ["toddler", "esc50:cat", "speaker:fr_CA_f_June", "family:x"],
    clips: [
      { file: "more-data/toddler/a.wav", kind: "negative", category: "toddler" },
      { file: "data/household/cat/1.wav", kind: "negative", category: "cat" },
      { file: "more-data/speech/fr_CA_f_June_1.wav", kind: "negative", category: "speech" },
      { file: "more-data/donateacry-16k/hungry/x.wav", kind: "cry", category: null },
    ],
  });
  assert.deepEqual(lists, {
    speech: ["more-data/speech/fr_CA_f_June_1.wav"],
    cat: ["data/household/cat/1.wav"],
    toddler: ["more-data/toddler/a.wav"],
    cry: ["more-data/donateacry-16k/hungry/x.wav"],
  });
});

test("the held-out sources of ../shared give speech, cat, toddler and cry clips", () => {
  const lists = heldOutLists(heldOutSources(listBenchClips()));
  for (const [k, v] of Object.entries(lists)) assert.ok(v.length > 0, `no held-out ${k} clip`);
  assert.ok(lists.speech.every((f) => f.startsWith("more-data/speech/fr_CA_f_June_")));
  assert.ok(lists.cry.some((f) => f.startsWith("more-data/donateacry-16k/")));
});
