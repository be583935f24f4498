import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { calibrate, classesLogit, logit, readDetector } from "../../src/inference/detector.js";
import { HeadsModelError } from "../../src/inference/heads-error.js";
import type { Analyzer } from "../../src/inference/types.js";
import { detectionForModels } from "../../src/model-loading.js";
import { CONSTANT_REASONS, headsWithDetector, YAMNET_DETECTOR } from "../support/detector-fixture.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "babymon-detector-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, detector: unknown): string {
  return headsWithDetector(join(dir, name), detector);
}

describe("the manifest's detector block", () => {
  it("is absent: null (the heads detect as before)", () => {
    assert.equal(readDetector(fixture("none", null)), null);
  });

  it("parses the contract's yamnet block", () => {
    const d = readDetector(fixture("yamnet", YAMNET_DETECTOR));
    assert.equal(d?.source, "yamnet");
    assert.deepEqual(d?.calibration, { a: 1.3, b: -0.4 });
    assert.deepEqual(d?.point, { threshold: 0.35, onsetN: 4, onsetStrong: 0.85 });
  });

  it("names the file and the field that is wrong", () => {
    const heads = fixture("bad-a", { ...YAMNET_DETECTOR, calibration: { a: "1", b: 0 } });
    assert.throws(
      () => readDetector(heads),
      (err: Error) =>
        err instanceof HeadsModelError &&
        err.message.includes(heads) &&
        err.message.includes("`detector.calibration.a`"),
    );
    const seq = fixture("no-seq", { ...YAMNET_DETECTOR, source: "sequence" });
    assert.throws(() => readDetector(seq), /`detector\.sequence` is required with `source: "sequence"`/);
    const cls = fixture("no-classes", { ...YAMNET_DETECTOR, source: "classes" });
    assert.throws(() => readDetector(cls), /`detector\.classes` is required with `source: "classes"`/);
    const weights = fixture("bad-weights", {
      ...YAMNET_DETECTOR,
      source: "classes",
      classes: { indices: [19, 20], weights: [0.5], bias: 0 },
    });
    assert.throws(() => readDetector(weights), /`detector\.classes\.weights` must have one weight per index/);
    const index = fixture("bad-index", {
      ...YAMNET_DETECTOR,
      source: "classes",
      classes: { indices: [521], weights: [0.5], bias: 0 },
    });
    assert.throws(() => readDetector(index), /`detector\.classes\.indices\.0`/);
    const src = fixture("bad-source", { ...YAMNET_DETECTOR, source: "heads" });
    assert.throws(() => readDetector(src), /`detector\.source`/);
    const point = fixture("bad-point", {
      ...YAMNET_DETECTOR,
      point: { threshold: 1.2, onsetN: 3, onsetStrong: 1 },
    });
    assert.throws(() => readDetector(point), /`detector\.point\.threshold`/);
    const reasons = fixture("bad-reasons", {
      ...YAMNET_DETECTOR,
      reasons: { ...CONSTANT_REASONS, probabilities: { ...CONSTANT_REASONS.probabilities, tired: 1.5 } },
    });
    assert.throws(() => readDetector(reasons), /`detector\.reasons\.probabilities\.tired`/);
  });

  it("parses the measured constant reasons", () => {
    const d = readDetector(fixture("reasons", { ...YAMNET_DETECTOR, reasons: CONSTANT_REASONS }));
    assert.deepEqual(d?.reasons?.probabilities, CONSTANT_REASONS.probabilities);
  });

  it("combines the listed class logits with their weights and the bias", () => {
    const logits = new Float32Array(521);
    logits[19] = 2;
    logits[22] = -4;
    logits[0] = 100;
    assert.equal(classesLogit(logits, { indices: [19, 22], weights: [0.5, 0.25], bias: 0.1 }), 0.1 + 1 - 1);
  });

  it("calibrates with p = sigmoid(a · logit(score) + b)", () => {
    assert.ok(Math.abs(calibrate(logit(0.3), { a: 1, b: 0 }) - 0.3) < 1e-12);
    const z = logit(0.2);
    assert.ok(Math.abs(calibrate(z, { a: 2, b: 0.5 }) - 1 / (1 + Math.exp(-(2 * z + 0.5)))) < 1e-12);
    assert.ok(Number.isFinite(logit(1)) && Number.isFinite(logit(0)));
  });
});

describe("detection settings with a detector", () => {
  const POINT = { threshold: 0.35, onsetN: 4, onsetStrong: 0.85 };
  /** detectionForModels for an analyzer with the detector's POINT and heads whose own point must not apply. */
  const resolve = (env: Record<string, string>) => {
    const { config, origins } = loadConfig({ env });
    const analyzer: Analyzer = {
      models: { yamnet: "x", heads: "babymon-heads@v" },
      backend: "cpu",
      headsOperatingPoint: { unsure: 0.6, episode: 0.99, onsetN: 5, yamnetSupport: 0.1 },
      detectorPoint: POINT,
      analyze: async () => [],
      dispose: () => {},
    };
    return detectionForModels(config.detection, origins, analyzer);
  };

  it("takes the detector's point and the heads' unsure, not the heads' episode point", () => {
    const d = resolve({});
    assert.equal(d.threshold, 0.35);
    assert.equal(d.onsetN, 4);
    assert.equal(d.onsetK, 3);
    assert.equal(d.onsetStrong, 0.85);
    assert.equal(d.yamnetSupport, 0);
    assert.equal(d.unsureBelow, 0.6);
  });

  it("keeps what the owner set", () => {
    const d = resolve({ BABYMON_DETECTION__THRESHOLD: "0.6", BABYMON_DETECTION__ONSET_STRONG: "0.95" });
    assert.equal(d.threshold, 0.6);
    assert.equal(d.onsetStrong, 0.95);
    assert.equal(d.onsetN, 4);
  });
});
