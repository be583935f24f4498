import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildMix, clipPart, DEFAULT_MIX } from "../../src/dev/mix.js";

describe("evaluation mix: parts of household clips", () => {
  it("clipPart gives each half of a clip, and none when that half is near-silent", () => {
    const clip = new Float32Array(10).map((_, i) => (i < 5 ? 0.5 : -0.25));
    assert.deepEqual([...clipPart(clip, 0)!], [0.5, 0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual([...clipPart(clip, 1)!], [-0.25, -0.25, -0.25, -0.25, -0.25]);
    const padded = new Float32Array(10).map((_, i) => (i < 5 ? 0.5 : 0.001)); // −54 dB below the sound
    assert.equal(clipPart(padded, 1), null);
  });

  it("a mix with householdPart plays only that half of each ESC-50 clip (2.5 of 5 s)", async () => {
    const options = { ...DEFAULT_MIX, seed: 5, minutes: 2, cryFraction: 0 };
    const whole = await buildMix(options);
    const first = await buildMix({ ...options, householdPart: 0 });
    const second = await buildMix({ ...options, householdPart: 1 });
    const longest = (m: typeof whole) =>
      Math.round(10 * Math.max(...m.background.slice(0, -1).map((b) => b.end - b.start))) / 10;
    assert.equal(longest(whole), 5);
    assert.equal(longest(first), 2.5);
    assert.equal(longest(second), 2.5);
    assert.notDeepEqual(first.samples.subarray(0, 16000), second.samples.subarray(0, 16000));
  });
});
