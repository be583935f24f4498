import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { createAnalyzer, loadCryHeads } from "../../src/inference/analyzer.js";
import { HeadsModelError } from "../../src/inference/heads.js";
import { PatchModel } from "../../src/inference/patch-model.js";
import type { CryHeads } from "../../src/inference/types.js";
import { ARCH_NAMES } from "../../src/train/archs/index.js";
import { COMPARE_ARCHS } from "../../src/train/compare/types.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { maxPredictionDiff, referencePatches } from "../support/reference.js";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "babymon-arch-"));
let smoke: { stderr: string; seconds: number; runDir: string };

before(async () => {
  const t0 = performance.now();
  const { stderr } = await run(
    process.execPath,
    [
      join(PROJECT_ROOT, "dist", "train", "main.js"),
      "--arch",
      "all",
      "--smoke",
      "--export-arch",
      ARCH_NAMES.join(","),
      "--runs",
      join(work, "runs"),
      "--cache",
      join(work, "cache", "train-features"),
      "--no-progress",
    ],
    { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 },
  );
  const dirs = readdirSync(join(work, "runs"));
  assert.equal(dirs.length, 1, `one run folder expected, got ${dirs.join(", ")}`);
  smoke = { stderr, seconds: (performance.now() - t0) / 1000, runDir: join(work, "runs", dirs[0]) };
});

after(() => rmSync(work, { recursive: true, force: true }));

test("--arch all --smoke compares every arch: comparison.md/json and each arch's report files", (t) => {
  t.diagnostic(`smoke run: ${smoke.seconds.toFixed(0)} s`);
  const json = JSON.parse(readFileSync(join(smoke.runDir, "comparison.json"), "utf8"));
  assert.deepEqual(
    json.archs.map((a: { arch: string }) => a.arch),
    [...COMPARE_ARCHS],
  );
  assert.deepEqual(json.pending, []);
  for (const a of json.archs) {
    assert.ok(
      a.reasonMacroF1.mean >= 0 && a.reasonMacroF1.mean <= 1,
      `${a.arch} macro-F1 ${a.reasonMacroF1.mean}`,
    );
    assert.ok(a.reasonMacroF1.lo <= a.reasonMacroF1.hi, `${a.arch}: an interval`);
    assert.ok(a.cryPatchAucBandLimitedNegatives > 0 && a.cryPatchAucBandLimitedNegatives <= 1);
    assert.ok(a.cryPatchAucFullBandNegatives > 0 && a.cryPatchAucFullBandNegatives <= 1);
    assert.ok(a.params > 0 && a.multiplyAddsPerPatch > 0, `${a.arch}: params and MACs`);
    assert.ok(a.inferenceMsPerPatch > 0 && a.trainSeconds > 0);
    assert.ok(a.leakyProtocolNotARealFigure.reasonAccuracy >= 0, `${a.arch}: leaky figure`);
    for (const f of [
      "classification_report.txt",
      "metrics.json",
      "confusion_matrix.png",
      "train_val_accuracy_loss.png",
      "reliability_diagram.png",
      "cry_roc_pr.png",
    ])
      assert.ok(existsSync(join(smoke.runDir, a.arch, f)), `${a.arch}/${f}`);
  }
  assert.equal(json.epochTimings.length, 1);
  assert.ok(Object.keys(json.epochTimings[0].seconds).includes("cpu"), "an epoch on the cpu backend too");
  const md = readFileSync(join(smoke.runDir, "comparison.md"), "utf8");
  for (const arch of COMPARE_ARCHS) assert.match(md, new RegExp(`^\\| ${arch} \\|`, "m"));
  assert.match(md, /LEAKY reason accuracy \(not a real figure\)/);
});

test("each exported patch arch loads through the daemon's loader and reproduces its training-time predictions", async (t) => {
  const analyzer = await createAnalyzer();
  const sha = analyzer.models.yamnet;
  analyzer.dispose();
  for (const arch of ARCH_NAMES) {
    const dir = join(smoke.runDir, "export", arch);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    assert.equal(manifest.input, "logmel-patch");
    assert.equal(manifest.arch, arch);
    assert.deepEqual(manifest.patchShape, [96, 64, 1]);
    const heads: CryHeads = await loadCryHeads(dir, sha);
    assert.ok(heads instanceof PatchModel, `${arch}: a PatchModel`);
    assert.throws(() => (heads as CryHeads).predict([]), HeadsModelError);
    let maxDiff = 0;
    for (const clip of await referencePatches(dir, manifest.bandLimitHz))
      maxDiff = Math.max(maxDiff, maxPredictionDiff(heads.predictPatches!(clip.patches), clip.expected));
    t.diagnostic(`${arch}: max difference to the training-time predictions ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-3, `${arch}: max difference ${maxDiff}`);
    heads.dispose?.();
  }
});

test("the analyzer gives a patch model the window's log-mel patch and reports its predictions", async () => {
  const dir = join(smoke.runDir, "export", "base-cnn");
  const analyzer = await createAnalyzer({ heads: dir });
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    assert.equal(analyzer.models.heads, `${manifest.name}@${manifest.version}`);
    const [clip] = await referencePatches(dir, analyzer.bandLimitHz);
    const analyses = await analyzer.analyzePatches(clip.patches);
    assert.ok(
      maxPredictionDiff(
        analyses.map((a) => ({ cry: a.cry, reasons: a.reasons! })),
        clip.expected,
      ) <= 1e-3,
    );
    analyses.forEach((a) => {
      assert.ok(a.yamnetCry >= 0 && a.yamnetCry <= 1, "YAMNet still runs next to the patch model");
    });
  } finally {
    analyzer.dispose();
  }
});
