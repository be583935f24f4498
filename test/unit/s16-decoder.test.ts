import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { S16Decoder } from "../../src/audio/sources/s16-decoder.js";

const VALUES = [0, 1, -1, 32767, -32768, 12345, -2222];
const pcm = () => {
  const b = Buffer.alloc(VALUES.length * 2);
  for (const [i, v] of VALUES.entries()) b.writeInt16LE(v, i * 2);
  return b;
};

describe("S16Decoder", () => {
  it("turns s16le samples into floats in [-1, 1)", () => {
    assert.deepEqual(
      [...new S16Decoder().decode(pcm())],
      [0, 1 / 32768, -1 / 32768, 32767 / 32768, -1, 12345 / 32768, -2222 / 32768].map(Math.fround),
    );
  });

  it("carries an odd byte over to the next chunk, whatever the chunking", () => {
    const whole = [...new S16Decoder().decode(pcm())];
    for (const sizes of [
      [1, 13],
      [3, 3, 3, 5],
      [13, 1],
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ]) {
      const d = new S16Decoder();
      const bytes = pcm();
      const got: number[] = [];
      let off = 0;
      for (const n of sizes) {
        got.push(...d.decode(bytes.subarray(off, off + n)));
        off += n;
      }
      assert.deepEqual(got, whole, `chunks of ${sizes.join(", ")} bytes`);
    }
  });
});
