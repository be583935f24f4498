import assert from "node:assert/strict";
import { test } from "node:test";
import { calibrationTransfer } from "../../src/train/calibration-transfer.js";

test("the shipped model's calibrated probabilities are compared with the fold models' on every window", () => {
  const oof = [Float32Array.from([-4, 0, 4]), Float32Array.from([2])];
  const same = calibrationTransfer(oof, oof, { scale: 1, bias: 0 }, 0.5);
  assert.deepEqual(same, { windows: 4, meanAbsDiff: 0, crossings: 0 });
  // a shipped model 1.5× steeper: every window but z = 0 moves, none at z = 0 crosses 0.5
  const steeper = calibrationTransfer(
    oof.map((z) => z.map((v) => v * 1.5)),
    oof,
    { scale: 1, bias: 0 },
    0.5,
  );
  const s = (z: number) => 1 / (1 + Math.exp(-z));
  const expected = (2 * (s(4) - s(6)) * -1 + (s(3) - s(2))) / 4;
  assert.ok(Math.abs(steeper.meanAbsDiff - expected) < 1e-6, `${steeper.meanAbsDiff} vs ${expected}`);
  assert.equal(steeper.crossings, 0);
  // shifted by +3 at threshold 0.5: z = -4 stays under, z = 0 crosses
  const shifted = calibrationTransfer(
    oof.map((z) => z.map((v) => v + 3)),
    oof,
    { scale: 1, bias: 0 },
    0.5,
  );
  assert.equal(shifted.crossings, 1 / 4);
  assert.throws(
    () => calibrationTransfer([new Float32Array(2)], [new Float32Array(3)], { scale: 1, bias: 0 }, 0.5),
    /fold 0/,
  );
});
