import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FoldFeatures } from "../../src/dev/benchmark/features.js";
import { REASONS } from "../../src/events.js";
import {
  CONSTANT_REASONS_TOLERANCE,
  constantReasons,
  measureReasons,
} from "../../src/train/constant-reasons.js";

/** features of `rows` windows whose heads gave these reason probabilities (REASONS order) */
function fold(rows: number[][], version: string | null = "heads@1"): FoldFeatures {
  return {
    info: { fold: 0, durationSec: rows.length * 0.48, events: [], inputs: {} },
    startSec: Float64Array.from(rows, (_, i) => i * 0.48),
    fullEmbedding: new Float32Array(0),
    limitedEmbedding: new Float32Array(0),
    headsCry: version ? new Float32Array(rows.length) : null,
    headsReasons: version ? Float32Array.from(rows.flat()) : null,
    headsVersion: version,
    get windows() {
      return rows.length;
    },
  } as unknown as FoldFeatures;
}

const prior = [0.84, 0.02, 0.02, 0.07, 0.05];

describe("the heads' reasons measured over the benchmark's windows", () => {
  it("the same for every window: their mean, the largest deviation and the windows counted", () => {
    const a = fold([prior, prior.map((p, j) => p + (j === 0 ? 0.001 : j === 3 ? -0.001 : 0))]);
    const b = fold([prior]);
    const m = measureReasons([a, b]);
    assert.ok(m);
    assert.equal(m.windows, 3);
    assert.equal(m.headsVersion, "heads@1");
    assert.ok(Math.abs(m.probabilities.hungry - (0.84 + 0.001 / 3)) < 1e-6, String(m.probabilities.hungry));
    assert.ok(Math.abs(m.maxDeviation - 0.002 / 3) < 1e-6, String(m.maxDeviation));
    assert.deepEqual(Object.keys(m.probabilities), [...REASONS]);
    assert.equal(constantReasons(m), m);
  });

  it("one window of one reason beyond the tolerance: not constant", () => {
    const off = [...prior];
    off[4] += 3 * CONSTANT_REASONS_TOLERANCE;
    off[0] -= 3 * CONSTANT_REASONS_TOLERANCE;
    const m = measureReasons([fold([prior, prior, prior, prior, prior, off]), fold([prior])]);
    assert.ok(m && m.maxDeviation > CONSTANT_REASONS_TOLERANCE);
    assert.equal(constantReasons(m), null);
  });

  it("no heads scored, or folds scored by other heads: nothing measured", () => {
    assert.equal(measureReasons([fold([prior], null)]), null);
    assert.equal(measureReasons([fold([prior]), fold([prior], "heads@2")]), null);
    assert.equal(measureReasons([]), null);
    assert.equal(constantReasons(null), null);
  });
});
