import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { HeadsModelError, loadHeads } from "../../src/inference/heads.js";
import { YamnetModel } from "../../src/inference/yamnet.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { maxPredictionDiff, referencePatches } from "../support/reference.js";

const run = promisify(execFile);
const SHARED_DATA = join(PROJECT_ROOT, "..", "shared", "data");
const work = mkdtempSync(join(tmpdir(), "babymon-train-"));
let smoke: { stdout: string; stderr: string; seconds: number };
/** the smoke run of the legacy heads (the default export is the evidence head since issue 14) exercises the opt-in quiet copies too */
const SMOKE_ARGS = ["--legacy", "--smoke", "--quiet-copies", "all"];

function runDirIn(runs: string): string {
  const dirs = readdirSync(runs);
  assert.equal(dirs.length, 1, `one run folder expected in ${runs}, got ${dirs.join(", ")}`);
  return join(runs, dirs[0]);
}

before(async () => {
  const t0 = performance.now();
  const { stdout, stderr } = await run(
    "npm",
    [
      "run",
      "train-export",
      "--",
      ...SMOKE_ARGS,
      "--runs",
      join(work, "runs"),
      "--cache",
      join(work, "cache"),
    ],
    { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 },
  );
  smoke = { stdout, stderr, seconds: (performance.now() - t0) / 1000 };
});

after(() => rmSync(work, { recursive: true, force: true }));

test("npm run train-export -- --smoke trains, evaluates and exports", (t) => {
  t.diagnostic(`smoke run: ${smoke.seconds.toFixed(1)} s`);
  assert.match(smoke.stdout, /reason macro-F1/);
  const runDir = runDirIn(join(work, "runs"));
  for (const f of [
    "classification_report.txt",
    "metrics.json",
    "confusion_matrix.png",
    "train_val_accuracy_loss.png",
    "reliability_diagram.png",
    "cry_roc_pr.png",
    "model/manifest.json",
    "model/model-card.md",
    "model/fc/model.json",
    "model/mnv3/weights.bin",
    "model/fc-2/weights.bin",
    "model/mnv3-2/model.json",
  ]) {
    assert.ok(existsSync(join(runDir, f)), `${f} missing`);
  }
  const report = readFileSync(join(runDir, "classification_report.txt"), "utf8");
  assert.match(report, /balanced accuracy/);
  assert.match(report, /majority baseline/);
  assert.match(report, /LEAKY PROTOCOL/);
  const metrics = JSON.parse(readFileSync(join(runDir, "metrics.json"), "utf8"));
  assert.ok(Number.isFinite(metrics.summary.test.cryPatchAucFullBandNegatives));
  const manifest = JSON.parse(readFileSync(join(runDir, "model/manifest.json"), "utf8"));
  assert.equal(manifest.bandLimitHz, 4000);
  assert.deepEqual(
    manifest.heads,
    { fc: ["fc", "fc-2"], mnv3: ["mnv3", "mnv3-2"] },
    "a smoke run exports 2 members",
  );
  assert.match(manifest.training.augmentation, /one quiet copy of every training clip, every class alike/);
  assert.ok(manifest.training.files.length > 10);
  assert.ok(manifest.training.files.every((f: { sha256: string }) => /^[0-9a-f]{64}$/.test(f.sha256)));
  const fcModel = JSON.parse(readFileSync(join(runDir, "model/fc/model.json"), "utf8"));
  const kernels = fcModel.weightsManifest[0].weights.filter((w: { name: string }) => /kernel/.test(w.name));
  assert.ok(
    kernels.length > 0 &&
      kernels.every((w: { quantization?: { dtype: string } }) => w.quantization?.dtype === "uint8"),
  );
  const png = readFileSync(join(runDir, "confusion_matrix.png"));
  assert.equal(png.subarray(1, 4).toString("ascii"), "PNG");
});

test("a second run with the cache trains nothing and gives the same figures", async () => {
  const runs2 = join(work, "runs2");
  const { stderr } = await run(
    "npm",
    ["run", "train-export", "--", ...SMOKE_ARGS, "--runs", runs2, "--cache", join(work, "cache")],
    { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 },
  );
  assert.match(smoke.stderr, /Cross-validation: [\d.]+ s \(0 fits from the cache, \d+ trained\)/);
  assert.match(stderr, /Features: \d+ cached, 0 computed/);
  assert.match(stderr, /Cross-validation: [\d.]+ s \(\d+ fits from the cache, 0 trained\)/);
  assert.match(smoke.stderr, /Cry labels: \d+ of \d+ cry patches within 15 dB/);
  const first = JSON.parse(readFileSync(join(runDirIn(join(work, "runs")), "metrics.json"), "utf8"));
  const second = JSON.parse(readFileSync(join(runDirIn(runs2), "metrics.json"), "utf8"));
  for (const key of ["summary", "folds", "test", "thresholds", "combination"])
    assert.deepEqual(second[key], first[key], key);
});

test("the exported heads load in the daemon's loader and reproduce the training-time predictions", async (t) => {
  const dir = join(runDirIn(join(work, "runs")), "model");
  const yamnet = await YamnetModel.load();
  const heads = await loadHeads(dir, yamnet.manifest.source.sha256);
  assert.deepEqual(heads.featureLayers, [23]);
  assert.equal(heads.bandLimitHz, 4000);
  let maxDiff = 0;
  for (const clip of await referencePatches(dir, heads.bandLimitHz)) {
    const outputs = yamnet.predict(clip.patches, { featureLayers: heads.featureLayers });
    maxDiff = Math.max(maxDiff, maxPredictionDiff(heads.predict(outputs), clip.expected));
  }
  t.diagnostic(`max difference to the training-time predictions: ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-3, `max difference ${maxDiff}`);
  await assert.rejects(
    loadHeads(dir, "0".repeat(64)),
    (err: Error) =>
      err instanceof HeadsModelError &&
      /trained on YAMNet .* but the loaded YAMNet has sha256 0{64}/.test(err.message),
  );
  assert.throws(
    () => heads.predict([{ scores: new Float32Array(521), embedding: new Float32Array(1024) }]),
    /featureMaps\[23\]/,
  );
  heads.dispose();
  yamnet.dispose();
});

test("one unreadable file is reported and skipped; the run completes", async () => {
  const data = join(work, "bad-data");
  const pick = (label: string, sub: string, n: number) => {
    mkdirSync(join(data, label), { recursive: true });
    const files = readdirSync(join(SHARED_DATA, sub))
      .filter((f) => f.endsWith(".wav"))
      .sort();
    for (const f of files.slice(0, n)) copyFileSync(join(SHARED_DATA, sub, f), join(data, label, f));
  };
  pick("hungry", "donateacry/hungry", 8);
  pick("tired", "donateacry/tired", 4);
  pick("noise", "household/dog", 4);
  pick("noise", "household/rain", 4);
  writeFileSync(join(data, "tired", "broken.wav"), Buffer.from("RIFF\x10\x00\x00\x00WAVEfmt junk"));
  const { stderr } = await run(
    "node",
    [
      "dist/train/main.js",
      "--legacy",
      "--data",
      data,
      "--runs",
      join(work, "bad-runs"),
      "--no-export",
      "--no-cache",
      "--folds",
      "2",
      "--epochs",
      "1",
      "--mnv3-epochs",
      "1",
      "--silence",
      "4",
      "--no-leaky",
      "--no-augment",
    ],
    { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 },
  );
  assert.match(stderr, /Skipping tired\/broken\.wav: /);
  const report = readFileSync(join(runDirIn(join(work, "bad-runs")), "classification_report.txt"), "utf8");
  assert.match(report, /skipped files: tired\/broken\.wav/);
});

test("a malformed dataset stops with a clear error and exit code 2", async () => {
  const data = join(work, "unknown-label");
  mkdirSync(join(data, "hungry"), { recursive: true });
  mkdirSync(join(data, "sleepy"), { recursive: true });
  copyFileSync(join(SHARED_DATA, "laugh", "laugh_1_0.wav"), join(data, "hungry", "a.wav"));
  copyFileSync(join(SHARED_DATA, "laugh", "laugh_1_1.wav"), join(data, "sleepy", "b.wav"));
  await assert.rejects(
    run(
      "node",
      ["dist/train/main.js", "--legacy", "--data", data, "--no-export", "--runs", join(work, "x")],
      {
        cwd: PROJECT_ROOT,
      },
    ),
    (err: { code: number; stderr: string }) =>
      err.code === 2 && /Unknown label folder `sleepy`: expected one of hungry/.test(err.stderr),
  );
});
