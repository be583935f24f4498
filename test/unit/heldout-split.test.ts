import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { heldOutExclusion, heldOutHalves } from "../../src/dev/heldout-split.js";
import { readTrainingFiles } from "../../src/dev/operating-point/heads-files.js";
import { groupFromFileName } from "../../src/train/dataset.js";
import { PROJECT_ROOT } from "../../src/version.js";

const U1 = "0a1b2c3d-0000-4000-8000-000000000001";
const U2 = "0a1b2c3d-0000-4000-8000-000000000002";
const U3 = "0a1b2c3d-0000-4000-8000-000000000003";
const U4 = "0a1b2c3d-0000-4000-8000-000000000004";

/** Made-up data files and the family each belongs to (a Donate-a-Cry install, an ESC-50 source, a laugh take). */
const FILES: Record<string, string> = {
  [`donateacry/hungry/${U1}-1430726196216-1.7-m-04-hu.wav`]: "install 1",
  [`donateacry/hungry/${U1}-1430726199999-1.7-m-04-hu.wav`]: "install 1",
  [`donateacry/hungry/${U2}-1430233132879-1.7-f-26-hu.wav`]: "install 2",
  [`donateacry/hungry/${U3}-1435948197257-1.7-m-04-hu.wav`]: "install 3",
  [`donateacry/tired/${U1}-1430726200000-1.7-m-04-ti.wav`]: "install 1",
  [`donateacry/tired/${U4}-1430726300000-1.7-f-04-ti.wav`]: "install 4",
  [`donateacry/tired/${U4}-1430726300001-1.7-f-04-ti.wav`]: "install 4",
  "household/cat/1-100-A.wav": "source 100",
  "household/cat/2-100-B.wav": "source 100",
  "household/cat/3-200-A.wav": "source 200",
  "household/dog/1-300-A.wav": "source 300",
  "household/dog/4-400-A.wav": "source 400",
  "household/dog/5-100-C.wav": "source 100",
  "laugh/laugh_1_0.wav": "laugh 1",
  "laugh/laugh_1_1.wav": "laugh 1",
  "laugh/laugh_2_0.wav": "laugh 2",
  "laugh/laugh_3_0.wav": "laugh 3",
};
const TRAINING = new Set([
  `donateacry/hungry/${U3}-1435948197257-1.7-m-04-hu.wav`,
  "household/dog/4-400-A.wav",
]);

const dataDir = mkdtempSync(join(tmpdir(), "babymon-heldout-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));
for (const file of [...Object.keys(FILES), "household/ATTRIBUTION.csv", "household/cat/notes.txt"]) {
  mkdirSync(dirname(join(dataDir, file)), { recursive: true });
  writeFileSync(join(dataDir, file), "");
}
const heldOut = Object.keys(FILES).filter((f) => !TRAINING.has(f));

describe("heldOutHalves", () => {
  const [a, b] = heldOutHalves(TRAINING, 1, dataDir);

  it("splits exactly the held-out .wav files into two disjoint, non-empty halves", () => {
    assert.ok(a.size > 0 && b.size > 0, `halves of ${a.size} and ${b.size}`);
    assert.equal([...a].filter((f) => b.has(f)).length, 0);
    assert.deepEqual([...a, ...b].sort(), [...heldOut].sort());
    for (const f of TRAINING) assert.ok(!a.has(f) && !b.has(f), `${f} was trained on`);
  });

  it("puts every family on one side only, across folders too", () => {
    const sides = new Map<string, Set<string>>();
    for (const [half, files] of [
      ["a", a],
      ["b", b],
    ] as const)
      for (const f of files) {
        const family = FILES[f];
        if (!sides.has(family)) sides.set(family, new Set());
        sides.get(family)!.add(half);
      }
    for (const [family, on] of sides) assert.equal(on.size, 1, `${family} is on halves ${[...on]}`);
    assert.equal(sides.size, 9); // install 3 and source 400 were trained on
  });

  it("is the same split for the same seed", () => {
    const again = heldOutHalves(TRAINING, 1, dataDir);
    assert.deepEqual([[...again[0]], [...again[1]]], [[...a], [...b]]);
  });

  it("fails on a folder without held-out files, naming it", () => {
    const empty = mkdtempSync(join(tmpdir(), "babymon-heldout-empty-"));
    try {
      for (const d of ["donateacry", "household", "laugh"]) mkdirSync(join(empty, d));
      assert.throws(() => heldOutHalves(new Set(), 1, empty), {
        message: `Expected held-out files in ${empty}, got none`,
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("heldOutExclusion", () => {
  const halves = heldOutHalves(TRAINING, 1, dataDir);
  const [a, b] = halves;

  it("leaves out the training files, and for a half also the other half's files", () => {
    assert.deepEqual(heldOutExclusion(TRAINING), TRAINING);
    assert.deepEqual(heldOutExclusion(TRAINING, "a", halves), new Set([...TRAINING, ...b]));
    assert.deepEqual(heldOutExclusion(TRAINING, "b", halves), new Set([...TRAINING, ...a]));
  });

  it("keeps exactly its own half: together with it, every data file", () => {
    for (const [half, own] of [
      ["a", a],
      ["b", b],
    ] as const) {
      const excluded = heldOutExclusion(TRAINING, half, halves);
      assert.equal([...own].filter((f) => excluded.has(f)).length, 0);
      assert.equal(excluded.size + own.size, Object.keys(FILES).length);
    }
  });
});

describe("the shipped heads' held-out split (../shared/data)", () => {
  it("keeps training files out and every group on one side", () => {
    const training = readTrainingFiles(join(PROJECT_ROOT, "models", "babymon-heads", "manifest.json"));
    const [a, b] = heldOutHalves(training);
    assert.ok(a.size > 0 && b.size > 0);
    const groupSide = new Map<string, "a" | "b">();
    for (const [half, files] of [
      ["a", a],
      ["b", b],
    ] as const)
      for (const f of files) {
        assert.ok(!training.has(f), `${f} was trained on`);
        const group = groupFromFileName(f, f.startsWith("laugh/") ? "laugh" : "noise");
        assert.equal(groupSide.get(group) ?? half, half, `${group} is on both halves`);
        groupSide.set(group, half);
      }
  });
});
