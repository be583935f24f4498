import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { App } from "../../src/app.js";
import { encodeWav } from "../../src/audio/wav.js";
import { replayFile } from "../../src/cli/file-replay.js";
import { loadConfig } from "../../src/config/load.js";
import type { BabymonEvent } from "../../src/events.js";
import { createAnalyzer, type YamnetAnalyzer } from "../../src/inference/analyzer.js";
import { calibrate, logit, sigmoid } from "../../src/inference/detector.js";
import { createDetectorAnalyzer, DetectorAnalyzer } from "../../src/inference/detector-analyzer.js";
import { detectionForModels, loadAnalyzer } from "../../src/model-loading.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { CONSTANT_REASONS, headsWithDetector, YAMNET_DETECTOR } from "../support/detector-fixture.js";
import { envWithoutBabymon } from "../support/env.js";
import { memoryLogger } from "../support/memory-logger.js";
import { CRY_CLIP, concat, load16k, quiet, SHARED } from "./daemon-support.js";

/**
 * The heads manifest's `detector` block on the daemon's path, with real YAMNet weights and the committed reason
 * heads (in a temp copy whose manifest gets the block: the committed one is train-export's).
 */
const SPEECH = join(SHARED, "more-data", "speech", "en_US_f_Allison_1.wav");
const CLI = join(PROJECT_ROOT, "dist", "cli", "main.js");

let dir: string;
let yamnetHeads: string;
let cryWav: string;
let speechWav: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "babymon-detector-it-"));
  yamnetHeads = headsWithDetector(join(dir, "yamnet"), YAMNET_DETECTOR);
  cryWav = join(dir, "speech-cry.wav");
  const speech = await load16k(SPEECH);
  writeFileSync(
    cryWav,
    encodeWav(concat(quiet(2), speech, quiet(2), await load16k(CRY_CLIP), quiet(8)), 16000),
  );
  speechWav = join(dir, "speech.wav");
  writeFileSync(speechWav, encodeWav(concat(quiet(1), speech, quiet(1)), 16000));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The file through the pipeline `babymon detect` runs: its window events and episode ends. */
async function replay(analyzer: DetectorAnalyzer | YamnetAnalyzer, file: string) {
  const { config, origins } = loadConfig({ env: {} });
  const events: BabymonEvent[] = [];
  let n = 0;
  const detection = detectionForModels(config.detection, origins, analyzer);
  await replayFile({
    file,
    config,
    analyzer,
    detection,
    emit: (e) => events.push(e),
    logger: memoryLogger().log,
    newEpisodeId: () => String(++n),
  });
  const windows = events.flatMap((e) => (e.type === "window" ? [e] : []));
  const ends = events.flatMap((e) => (e.type === "episode_end" ? [e.episode] : []));
  return { windows, ends, detection };
}

describe('detector.source "yamnet"', () => {
  let analyzer: DetectorAnalyzer;
  let plain: YamnetAnalyzer;
  before(async () => {
    analyzer = await createDetectorAnalyzer({ headsDir: yamnetHeads, detector: YAMNET_DETECTOR as never });
    plain = await createAnalyzer({ heads: null });
  });
  after(() => {
    analyzer.dispose();
    plain.dispose();
  });

  it("gives the calibrated full-band YAMNet score per window, with one YAMNet pass outside the cry", async () => {
    const full = await replay(plain, cryWav);
    const det = await replay(analyzer, cryWav);
    assert.equal(det.detection.threshold, YAMNET_DETECTOR.point.threshold);
    assert.equal(det.windows.length, full.windows.length);
    let over = 0;
    det.windows.forEach((w, i) => {
      // the same full-band YAMNet pass as YAMNet alone
      assert.ok(Math.abs(w.yamnetCry - full.windows[i].yamnetCry) < 1e-5, `window ${i}: yamnetCry`);
      const expected = calibrate(logit(w.yamnetCry), YAMNET_DETECTOR.calibration);
      // 0 only where the laughter veto took the window out, as it does for YAMNet alone
      if (full.windows[i].cry === 0 && w.yamnetCry > 0) assert.equal(w.cry, 0, `window ${i}: vetoed`);
      else assert.ok(Math.abs(w.cry - expected) < 1e-9, `window ${i}: cry ${w.cry}, expected ${expected}`);
      if (expected > YAMNET_DETECTOR.point.threshold) over++;
    });
    assert.ok(over >= 3, `expected the cry to put windows over the threshold, got ${over}`);
    // every window: one full-band pass; the band-limited pass of the reason heads only for the windows over the
    // threshold (the ones an episode's reason is averaged over)
    assert.equal(analyzer.passes.fullBand, det.windows.length);
    assert.equal(analyzer.passes.bandLimited, over);
    assert.ok(analyzer.passes.bandLimited < det.windows.length / 2);
    assert.equal(det.ends.length, 1, "one episode: the cry");
    assert.ok(det.ends[0].probabilities, "the episode has the reason heads' probabilities");
    assert.ok(det.ends[0].startSec > 2 + 4);
  });

  it("does not load or run the reason heads on speech (one pass per window)", async () => {
    const fresh = await createDetectorAnalyzer({ headsDir: yamnetHeads, detector: YAMNET_DETECTOR as never });
    try {
      const det = await replay(fresh, speechWav);
      assert.ok(det.windows.every((w) => w.cry <= YAMNET_DETECTOR.point.threshold));
      assert.deepEqual(fresh.passes, { fullBand: det.windows.length, bandLimited: 0 });
      assert.equal(fresh.reasonHeadsLoaded, false);
      assert.equal(det.ends.length, 0);
    } finally {
      fresh.dispose();
    }
  });

  it("`babymon detect` prints the same calibrated probabilities", () => {
    const res = spawnSync(process.execPath, [CLI, "detect", cryWav, "--jsonl", "--windows"], {
      env: envWithoutBabymon({ BABYMON_INFERENCE__HEADS_DIR: yamnetHeads }),
      encoding: "utf8",
    });
    assert.equal(res.status, 0, res.stderr);
    const lines = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; cry: number });
    const windows = lines.filter((l) => l.type === "window");
    const replayed = lines.filter((l) => l.type === "episode");
    assert.equal(replayed.length, 1);
    return replay(analyzer, cryWav).then(({ windows: expected }) => {
      assert.equal(windows.length, expected.length);
      for (const [i, w] of windows.entries())
        assert.ok(Math.abs(w.cry - expected[i].cry) < 1e-4, `window ${i}`);
    });
  });

  it("the reason heads loaded for their reasons alone give the reasons the full heads give", async () => {
    const { loadHeads, loadReasonHeads } = await import("../../src/inference/heads.js");
    const { YamnetModel } = await import("../../src/inference/yamnet.js");
    const { bandLimit } = await import("../../src/dsp/band-limit.js");
    const { LogMelFrontend } = await import("../../src/dsp/logmel.js");
    const yamnet = await YamnetModel.load();
    const full = await loadHeads(yamnetHeads, yamnet.manifest.source.sha256);
    const reasonsOnly = await loadReasonHeads(yamnetHeads, yamnet.manifest.source.sha256);
    try {
      const audio = await load16k(CRY_CLIP);
      const frontend = new LogMelFrontend();
      const patches = [0, 7680, 15360].map((at) =>
        frontend.patch(bandLimit(audio.subarray(at, at + 15600), full.bandLimitHz)),
      );
      const outputs = yamnet.predict(patches, { featureLayers: full.featureLayers });
      const expected = full.predict(outputs).map((p) => p.reasons);
      const got = reasonsOnly.reasons(outputs);
      for (const [i, r] of got.entries())
        for (const k of Object.keys(r) as Array<keyof typeof r>)
          assert.ok(Math.abs(r[k] - expected[i][k]) < 1e-6, `patch ${i} ${k}: ${r[k]} vs ${expected[i][k]}`);
      assert.throws(() => reasonsOnly.predict(outputs), /reasonsOnly/);
    } finally {
      full.dispose();
      reasonsOnly.dispose();
      yamnet.dispose();
    }
  });

  it("the daemon (App) with the block: its warm-up and a speech file leave the reason heads unloaded", async () => {
    const { config } = loadConfig({
      env: {},
      overrides: {
        dataDir: join(dir, "app"),
        "audio.input": speechWav,
        "audio.realtime": false,
        "storage.enabled": false,
        "inference.headsDir": yamnetHeads,
      },
    });
    const loaded = await loadAnalyzer(config.inference, memoryLogger("fatal").log);
    assert.ok(loaded instanceof DetectorAnalyzer);
    const app = new App({ config, logger: memoryLogger("fatal").log, analyzer: loaded, sinkFactories: [] });
    await app.start();
    await app.pipeline.finished;
    const windows = app.pipeline.stats.processed;
    await app.stop();
    assert.ok(windows > 5);
    assert.deepEqual(
      loaded.passes,
      { fullBand: windows + 1, bandLimited: 0 },
      "one pass per window (+ warm-up)",
    );
    assert.equal(loaded.reasonHeadsLoaded, false);
  });

  it("`inference.scoreSource` heads and yamnet ignore the block; auto runs it", async () => {
    const logger = memoryLogger().log;
    const base = { yamnetDir: null, backend: "auto", maxQueuedWindows: 8, maxBatch: 4 } as const;
    const auto = await loadAnalyzer({ ...base, scoreSource: "auto", headsDir: yamnetHeads }, logger);
    const heads = await loadAnalyzer({ ...base, scoreSource: "heads", headsDir: yamnetHeads }, logger);
    const yamnet = await loadAnalyzer({ ...base, scoreSource: "yamnet", headsDir: yamnetHeads }, logger);
    try {
      assert.deepEqual(auto.detectorPoint, YAMNET_DETECTOR.point);
      assert.equal(heads.detectorPoint, undefined);
      assert.equal(heads.headsOperatingPoint?.episode, 0.989);
      assert.equal(yamnet.detectorPoint, undefined);
      assert.equal(yamnet.models.heads, null);
    } finally {
      for (const a of [auto, heads, yamnet]) a.dispose();
    }
  });
});

describe("detector.reasons: heads whose reasons are the same for every sound", () => {
  it("gives the measured reasons to the windows over the threshold without loading the heads or a second pass", async () => {
    const heads = headsWithDetector(join(dir, "constant"), { ...YAMNET_DETECTOR, reasons: CONSTANT_REASONS });
    const lines: string[] = [];
    const analyzer = await createDetectorAnalyzer({
      headsDir: heads,
      detector: { ...YAMNET_DETECTOR, reasons: CONSTANT_REASONS } as never,
      log: (l) => lines.push(l),
    });
    try {
      const det = await replay(analyzer, cryWav);
      const over = det.windows.filter((w) => w.cry > YAMNET_DETECTOR.point.threshold);
      assert.ok(over.length >= 3, `expected the cry to put windows over the threshold, got ${over.length}`);
      assert.deepEqual(analyzer.passes, { fullBand: det.windows.length, bandLimited: 0 });
      assert.equal(analyzer.reasonHeadsLoaded, false);
      assert.equal(det.ends.length, 1);
      const p = det.ends[0].probabilities!;
      for (const [r, v] of Object.entries(CONSTANT_REASONS.probabilities))
        assert.ok(Math.abs(p[r as keyof typeof p] - v) < 1e-9, `${r}: ${p[r as keyof typeof p]} vs ${v}`);
      assert.match(lines.join("\n"), /the same for every sound .* given without running the heads/);
    } finally {
      analyzer.dispose();
    }
  });

  it("measured on other heads: the heads run, and the start-up line says why", async () => {
    const other = { ...YAMNET_DETECTOR, reasons: { ...CONSTANT_REASONS, headsVersion: "other-heads@1" } };
    const heads = headsWithDetector(join(dir, "constant-other"), other);
    const lines: string[] = [];
    const analyzer = await createDetectorAnalyzer({
      headsDir: heads,
      detector: other as never,
      log: (l) => lines.push(l),
    });
    try {
      const det = await replay(analyzer, cryWav);
      assert.ok(analyzer.passes.bandLimited >= 3);
      assert.equal(analyzer.reasonHeadsLoaded, true);
      assert.notDeepEqual(det.ends[0].probabilities, CONSTANT_REASONS.probabilities);
      assert.match(lines.join("\n"), /measured on other-heads@1, not these heads/);
    } finally {
      analyzer.dispose();
    }
  });
});

/** A sequence model over T windows whose cry logit is Σ_t (t + 1) · logit_t[class 20] / T + 0.25. */
async function writeSequenceModel(folder: string, windows: number): Promise<void> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [windows, 521] }),
      tfl.layers.dense({ units: 1, useBias: true }),
    ],
  });
  const kernel = new Float32Array(windows * 521);
  for (let t = 0; t < windows; t++) kernel[t * 521 + 20] = (t + 1) / windows;
  model.layers[1].setWeights([tf.tensor2d(kernel, [windows * 521, 1]), tf.tensor1d([0.25])]);
  mkdirSync(folder, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(folder, "weights.bin"), Buffer.from(artifacts.weightData as ArrayBuffer));
      const json = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(folder, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  model.dispose();
}

describe('detector.source "sequence"', () => {
  const T = 4;
  const detector = {
    ...YAMNET_DETECTOR,
    source: "sequence",
    calibration: { a: 0.8, b: -0.2 },
    sequence: { dir: "sequence", windows: T, features: "yamnet-logits" },
  };
  let analyzer: DetectorAnalyzer;
  let windows: Float32Array[];
  before(async () => {
    const heads = headsWithDetector(join(dir, "sequence"), detector);
    await writeSequenceModel(join(heads, "sequence"), T);
    analyzer = await createDetectorAnalyzer({ headsDir: heads, detector: detector as never });
    const audio = concat(quiet(1), await load16k(CRY_CLIP));
    windows = [];
    for (let at = 0; at + 15600 <= audio.length; at += 7680) windows.push(audio.subarray(at, at + 15600));
  });
  after(() => analyzer.dispose());

  it("reads the last T windows' logits, oldest first, the first window repeated at the start of a stream", async () => {
    analyzer.reset();
    const one: number[] = [];
    const scores: Float32Array[] = [];
    for (const w of windows) {
      const [a] = await analyzer.analyze([w], { reasonsAbove: 1 });
      one.push(a.cry);
      assert.ok(a.logits, "the sequence detector asks YAMNet for its logits");
      // the logit is the score's: sigmoid(logit) = score
      assert.ok(Math.abs(1 / (1 + Math.exp(-a.logits[20])) - a.scores[20]) < 1e-5);
      scores.push(a.logits.slice());
    }
    // YAMNet's raw class logits (before the sigmoid), as the temporal model trains on them
    const logits = scores.map((l) => l[20]);
    one.forEach((cry, i) => {
      let z = 0.25;
      for (let t = 0; t < T; t++) z += ((t + 1) / T) * logits[Math.max(0, i - (T - 1) + t)];
      const expected = calibrate(z, detector.calibration);
      assert.ok(Math.abs(cry - expected) < 1e-4, `window ${i}: ${cry}, expected ${expected}`);
    });
    assert.ok(
      Math.max(...one) > 0.5 && Math.min(...one) < 0.01,
      `the cry raises the model's probability: ${one}`,
    );
    // a new stream starts afresh; a batch gives what one window at a time gave
    analyzer.reset();
    const batched = (await analyzer.analyze(windows, { reasonsAbove: 1 })).map((a) => a.cry);
    for (const [i, cry] of batched.entries()) assert.ok(Math.abs(cry - one[i]) < 1e-5, `window ${i} batched`);
    // after a reset the window fills the history; without one, the history goes on
    analyzer.reset();
    const [first] = await analyzer.analyze([windows[4]], { reasonsAbove: 1 });
    const expectFirst = calibrate(0.25 + 2.5 * logits[4], detector.calibration);
    assert.ok(Math.abs(first.cry - expectFirst) < 1e-4, `${first.cry}, expected ${expectFirst}`);
    const [next] = await analyzer.analyze([windows[0]], { reasonsAbove: 1 });
    const expectNext = calibrate(0.25 + 1.5 * logits[4] + logits[0], detector.calibration);
    assert.ok(Math.abs(next.cry - expectNext) < 1e-4, `${next.cry}, expected ${expectNext}`);
  });

  it("refuses a model whose input is not [batch, windows, 521], naming the field", async () => {
    const heads = headsWithDetector(join(dir, "sequence-bad"), {
      ...detector,
      sequence: { ...detector.sequence, windows: 6 },
    });
    await writeSequenceModel(join(heads, "sequence"), T);
    await assert.rejects(
      createDetectorAnalyzer({
        headsDir: heads,
        detector: { ...detector, sequence: { ...detector.sequence, windows: 6 } } as never,
      }),
      /detector\.sequence: expected the model in .* to take \[batch, 6, 521\]/,
    );
  });
});

describe('detector.source "classes"', () => {
  const classes = { indices: [19, 20, 21, 22], weights: [0.5, 0.5, 0.1, 0.01], bias: 0.5 };
  const detector = { ...YAMNET_DETECTOR, source: "classes", calibration: { a: 0.9, b: -0.3 }, classes };
  let analyzer: DetectorAnalyzer;
  before(async () => {
    const heads = headsWithDetector(join(dir, "classes"), detector);
    analyzer = await createDetectorAnalyzer({ headsDir: heads, detector: detector as never });
  });
  after(() => analyzer.dispose());

  it("gives the calibrated combination of YAMNet's class logits per window, from one full-band pass", async () => {
    const audio = concat(quiet(1), await load16k(CRY_CLIP));
    const windows: Float32Array[] = [];
    for (let at = 0; at + 15600 <= audio.length; at += 7680) windows.push(audio.subarray(at, at + 15600));
    const out = await analyzer.analyze(windows, { reasonsAbove: 1 });
    let over = 0;
    out.forEach((w, i) => {
      assert.ok(w.logits, `window ${i}: the class logits are computed`);
      // the logits are YAMNet's before its sigmoid: the scores are their sigmoid
      for (const c of classes.indices)
        assert.ok(Math.abs(sigmoid(w.logits[c]) - w.scores[c]) < 1e-5, `window ${i}, class ${c}`);
      let z = classes.bias;
      classes.indices.forEach((c, j) => {
        z += classes.weights[j] * w.logits![c];
      });
      const expected = calibrate(z, detector.calibration);
      assert.ok(Math.abs(w.cry - expected) < 1e-9, `window ${i}: cry ${w.cry}, expected ${expected}`);
      if (w.cry > 0.5) over++;
    });
    assert.ok(over >= 3, `expected the cry to put windows over 0.5, got ${over}`);
    assert.deepEqual(analyzer.passes, { fullBand: windows.length, bandLimited: 0 });
  });
});
