import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeWav } from "../../src/audio/wav.js";
import { DatasetError, discoverDataset, groupFromFileName } from "../../src/train/dataset.js";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function dataset(files: Record<string, Buffer | string | null>): string {
  const root = mkdtempSync(join(tmpdir(), "babymon-ds-"));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    if (content === null) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
  }
  return root;
}

const wav = () => encodeWav(new Float32Array(1600).fill(0.1), 16000);

test("groups come from file names: Donate-a-Cry uuid, ESC-50 source id, laugh recording, else the file", () => {
  assert.equal(
    groupFromFileName(
      "donateacry/hungry/643D64AD-B711-469A-AF69-55C0D5D3E30F-1430138495-1.0-m-72-hu.wav",
      "hungry",
    ),
    "dac:643d64ad-b711-469a-af69-55c0d5d3e30f",
  );
  assert.equal(groupFromFileName("household/dog/4-182395-A.wav", "noise"), "esc50:182395");
  assert.equal(groupFromFileName("household/dog/1-182395-B.wav", "noise"), "esc50:182395");
  assert.equal(groupFromFileName("laugh/laugh_1_17.wav", "laugh"), "laugh:laugh_1");
  assert.equal(groupFromFileName("tired/baby.wav", "tired"), "file:tired/baby.wav");
});

test("labelled folders: labels, aliases and a groups.csv override", () => {
  const root = dataset({
    "hungry/a.wav": wav(),
    "hungry/b.wav": wav(),
    "belly pain/c.wav": wav(),
    "household/d.wav": wav(),
    "groups.csv": "path,group\nhungry/a.wav,family1\nhungry/b.wav,family1\n",
  });
  const ds = discoverDataset(root);
  assert.equal(ds.layout, "labelled-folders");
  const byPath = new Map(ds.clips.map((c) => [c.relPath, c]));
  assert.equal(byPath.get("belly pain/c.wav")?.label, "belly_pain");
  assert.equal(byPath.get("household/d.wav")?.label, "noise");
  assert.equal(byPath.get("hungry/a.wav")?.group, "family1");
  assert.equal(byPath.get("hungry/b.wav")?.group, "family1");
  assert.equal(byPath.get("household/d.wav")?.group, "file:household/d.wav");
});

test("pre-split layout keeps the given split", () => {
  const root = dataset({
    "train/hungry/a.wav": wav(),
    "test/hungry/b.wav": wav(),
    "train/noise/c.wav": wav(),
  });
  const ds = discoverDataset(root);
  assert.equal(ds.layout, "presplit");
  assert.deepEqual(
    ds.clips.map((c) => [c.relPath, c.presplit]),
    [
      ["test/hungry/b.wav", "test"],
      ["train/hungry/a.wav", "train"],
      ["train/noise/c.wav", "train"],
    ],
  );
});

test("malformed datasets get clear errors", () => {
  assert.throws(
    () => discoverDataset(dataset({ "hungry/a.wav": wav(), "sleepy/b.wav": wav() })),
    (err: Error) =>
      err instanceof DatasetError &&
      /Unknown label folder `sleepy`: expected one of hungry, belly_pain/.test(err.message),
  );
  assert.throws(
    () => discoverDataset(dataset({ "hungry/a.wav": wav(), tired: null })),
    (err: Error) =>
      err instanceof DatasetError && /Class folder `tired` has no audio files/.test(err.message),
  );
  assert.throws(
    () => discoverDataset(dataset({ "noise/a.wav": wav() })),
    (err: Error) => err instanceof DatasetError && /No cry clips/.test(err.message),
  );
  assert.throws(
    () => discoverDataset("/nonexistent/babymon-data"),
    /Expected `\/nonexistent\/babymon-data` to be a data folder/,
  );
  assert.throws(
    () => discoverDataset(dataset({ "hungry/a.wav": wav(), "groups.csv": "path,group\nhungry/a.wav\n" })),
    /Expected `path,group` in .*groups.csv line 2/,
  );
});
