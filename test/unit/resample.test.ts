import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bandLimit } from "../../src/dsp/band-limit.js";
import { resample, StreamingResampler } from "../../src/dsp/resample.js";

interface Tone {
  hz: number;
  amp: number;
  phase: number;
}

/** Deterministic pseudo-random multi-tone set with every frequency below `maxHz`. */
function tones(count: number, maxHz: number, seed: number): Tone[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: count }, () => ({
    hz: 40 + rnd() * (maxHz - 40),
    amp: 0.05 + 0.1 * rnd(),
    phase: 2 * Math.PI * rnd(),
  }));
}

/** The band-limited signal evaluated at times n / rate: the ideal (sinc) resampling of its samples at any other rate. */
function evaluate(ts: Tone[], rate: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    let v = 0;
    for (const t of ts) v += t.amp * Math.sin((2 * Math.PI * t.hz * n) / rate + t.phase);
    out[n] = v;
  }
  return out;
}

function relativeRmsError(actual: Float32Array, ideal: Float64Array, from: number, to: number): number {
  let err = 0;
  let ref = 0;
  for (let i = from; i < to; i++) {
    err += (actual[i] - ideal[i]) ** 2;
    ref += ideal[i] ** 2;
  }
  return Math.sqrt(err / ref);
}

const CASES: Array<[number, number]> = [
  [44100, 7000],
  [48000, 7000],
  [22050, 7000],
  [32000, 7000],
  [11025, 0.45 * 11025],
  [8000, 0.45 * 8000],
];

for (const [inRate, maxHz] of CASES) {
  test(`${inRate} Hz → 16 kHz: multi-tone below ${Math.round(maxHz)} Hz within 1 % RMS of the ideal sinc reference`, () => {
    const seconds = 0.5;
    const ts = tones(12, maxHz, inRate);
    const input = Float32Array.from(evaluate(ts, inRate, Math.round(seconds * inRate)));
    const out = resample(input, inRate, 16000);
    assert.equal(out.length, Math.ceil((input.length * 16000) / inRate));
    const ideal = evaluate(ts, 16000, out.length);
    // skip the filter's reach at both ends, where the input is cut off (not band-limited)
    const edge = 400;
    const err = relativeRmsError(out, ideal, edge, out.length - edge);
    console.log(`# ${inRate} Hz: relative RMS error ${(err * 100).toExponential(2)} %`);
    assert.ok(err < 0.01, `relative RMS error ${err}`);
  });
}

test("content above 8.8 kHz is removed, not aliased (44.1 kHz → 16 kHz)", () => {
  const input = Float32Array.from(evaluate([{ hz: 12000, amp: 0.5, phase: 0 }], 44100, 22050));
  const out = resample(input, 44100, 16000);
  let rms = 0;
  for (let i = 400; i < out.length - 400; i++) rms += out[i] ** 2;
  rms = Math.sqrt(rms / (out.length - 800));
  assert.ok(rms < 0.5 * 10 ** (-80 / 20), `alias RMS ${rms}`);
});

test("16 kHz in is passed through unchanged", () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  assert.deepEqual(resample(x, 16000, 16000), x);
});

test("streaming in arbitrary chunks gives exactly the one-shot output", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(44100, 48000, 8000, 22050, 44056),
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }),
      (rate, sizes) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const x = Float32Array.from({ length: total }, (_, i) => Math.sin(i * 0.01) * Math.cos(i * 0.37));
        const oneShot = resample(x, rate, 16000);
        const r = new StreamingResampler(rate, 16000);
        const parts: number[] = [];
        let at = 0;
        for (const n of sizes) {
          parts.push(...r.process(x.subarray(at, at + n)));
          at += n;
        }
        parts.push(...r.flush());
        assert.equal(parts.length, oneShot.length);
        assert.deepEqual(Float32Array.from(parts), oneShot);
      },
    ),
    { numRuns: 40 },
  );
});

test("bandLimit keeps content below 3.6 kHz and removes content above 4.4 kHz", () => {
  const low = Float32Array.from(evaluate([{ hz: 2000, amp: 0.5, phase: 0 }], 16000, 16000));
  const high = Float32Array.from(evaluate([{ hz: 6000, amp: 0.5, phase: 0 }], 16000, 16000));
  const lowOut = bandLimit(low);
  const highOut = bandLimit(high);
  assert.equal(lowOut.length, low.length);
  assert.ok(relativeRmsError(lowOut, Float64Array.from(low), 400, 15600) < 1e-3);
  let rms = 0;
  for (let i = 400; i < 15600; i++) rms += highOut[i] ** 2;
  assert.ok(Math.sqrt(rms / 15200) < 1e-4);
  assert.throws(() => bandLimit(low, 9000), /Expected `bandwidthHz`/);
});

test("invalid rates are refused with the value named", () => {
  assert.throws(
    () => new StreamingResampler(0, 16000),
    /Expected `inputRate` to be an integer sample rate .* got 0/,
  );
  assert.throws(() => new StreamingResampler(44100.5, 16000), /got 44100.5/);
});
