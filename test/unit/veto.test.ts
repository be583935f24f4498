import assert from "node:assert/strict";
import { it } from "node:test";
import { effectiveCry, laughterScore } from "../../src/detection/veto.js";

it("laughter louder than YAMNet's cry score vetoes a crying window, only above the veto level", () => {
  const scores = new Float32Array(521);
  scores[14] = 0.6; // Baby laughter
  scores[17] = 0.3;
  assert.ok(Math.abs(laughterScore(scores) - 0.6) < 1e-6);
  assert.equal(effectiveCry(0.9, 0.3, 0.6, 0.2), 0, "laughter 0.6 > cry 0.3 and > 0.2");
  assert.equal(effectiveCry(0.9, 0.7, 0.6, 0.2), 0.9, "YAMNet hears more crying than laughter");
  assert.equal(effectiveCry(0.9, 0.05, 0.15, 0.2), 0.9, "laughter below the veto level");
  assert.equal(effectiveCry(0.9, 0.0, 0.99, 1), 0.9, "veto off");
});
