import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REASONS, type Reason } from "../../src/events.js";
import { unitVector } from "../../src/learning/quantize.js";
import {
  fitReasonModel,
  type ReasonExample,
  requiredMargin,
  selfEvaluate,
  selfEvaluationLine,
} from "../../src/learning/reason-model.js";
import { mulberry32 } from "../../src/train/random.js";

const rand = mulberry32(3);
/** An episode embedding: a shared cry direction, a reason-specific one (when `separable`), and noise. */
function example(label: Reason, separable: boolean): ReasonExample {
  const x = new Float32Array(64);
  for (let i = 0; i < 64; i++) x[i] = 1 + 0.3 * rand();
  if (separable) x[REASONS.indexOf(label) * 8] += 3;
  return { embedding: unitVector(x), heads: [0.84, 0.02, 0.02, 0.07, 0.05], label };
}

describe("per-baby reason model", () => {
  it("answers when the baby's own cries tell the reasons apart, and says so", () => {
    const labels: Reason[] = [..."hhhhhhttttttdddddd"].map(
      (c) => ({ h: "hungry", t: "tired", d: "discomfort" })[c] as Reason,
    );
    const e = selfEvaluate(labels.map((l) => example(l, true)));
    assert.equal(e.labels, 18);
    assert.ok(e.looAccuracy > 0.9, `leave-one-out ${e.looAccuracy}`);
    assert.ok(e.baselineAccuracy < 0.4);
    assert.equal(e.answers, true);
    assert.match(
      selfEvaluationLine(e),
      /^reason model: 18 labels, leave-one-out \d+ % vs \d+ % for always '\w+' \(answers reasons\)$/,
    );
  });

  it("answers unsure when the cries carry no reason (it cannot beat always the most frequent)", () => {
    const labels: Reason[] = [..."hhhhhhhhhhhhtttd"].map(
      (c) => ({ h: "hungry", t: "tired", d: "discomfort" })[c] as Reason,
    );
    const e = selfEvaluate(labels.map((l) => example(l, false)));
    assert.equal(e.answers, false);
    assert.equal(e.mostFrequent, "hungry");
    assert.match(selfEvaluationLine(e), /answers unsure/);
    assert.equal(
      selfEvaluate(labels.slice(0, 3).map((l) => example(l, true))).answers,
      false,
      "too few labels",
    );
  });

  it("with one label the general heads still dominate (shrinkage)", () => {
    const p = fitReasonModel([example("tired", true)]);
    const x = example("tired", true);
    const out = p(x.embedding, x.heads);
    assert.ok(out[REASONS.indexOf("tired")] < 0.5, `tired ${out[REASONS.indexOf("tired")]}`);
    assert.ok(Math.abs(out.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  it("the margin is the baseline's one-sided 95 % sampling noise, at least 5 points", () => {
    assert.equal(requiredMargin(1, 10), 0.05);
    assert.ok(Math.abs(requiredMargin(0.5, 25) - 1.645 * 0.1) < 1e-9);
  });
});
