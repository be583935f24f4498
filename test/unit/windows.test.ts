import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SampleRingBuffer } from "../../src/audio/ring-buffer.js";
import type { AudioWindow } from "../../src/detection/window-types.js";
import { levelDbfs, VolumeGate, WindowCutter } from "../../src/detection/windows.js";
import { PATCH_WINDOW_SAMPLES } from "../../src/dsp/frontend-params.js";

describe("ring buffer", () => {
  it("returns what was written, across the wrap, and refuses overwritten ranges", () => {
    const ring = new SampleRingBuffer(10);
    ring.write(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    ring.write(Float32Array.from([8, 9, 10, 11]));
    assert.deepEqual([...ring.read(5, 7)], [5, 6, 7, 8, 9, 10, 11]);
    assert.throws(() => ring.read(1, 3), /within samples 2\.\.12/);
  });
});

describe("window cutter", () => {
  it("cuts the same 15600-sample windows every hop, whatever the chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40000 }), { minLength: 1, maxLength: 12 }), (sizes) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const signal = Float32Array.from({ length: total }, (_, i) => ((i * 7919) % 1000) / 1000);
        const cutter = new WindowCutter(0.48);
        const got: AudioWindow[] = [];
        let at = 0;
        for (const n of sizes) {
          cutter.push(signal.subarray(at, at + n), (w) => got.push(w));
          at += n;
        }
        const expected =
          total >= PATCH_WINDOW_SAMPLES ? Math.floor((total - PATCH_WINDOW_SAMPLES) / 7680) + 1 : 0;
        assert.equal(got.length, expected);
        got.forEach((w, k) => {
          assert.equal(w.startSample, k * 7680);
          assert.equal(w.samples.length, PATCH_WINDOW_SAMPLES);
          assert.equal(w.samples[0], signal[k * 7680]);
          assert.equal(w.samples[PATCH_WINDOW_SAMPLES - 1], signal[k * 7680 + PATCH_WINDOW_SAMPLES - 1]);
        });
      }),
      { numRuns: 60 },
    );
  });

  it("measures levels in dBFS", () => {
    const sine = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 16000));
    assert.ok(Math.abs(levelDbfs(sine) - -3.01) < 0.05);
    assert.equal(levelDbfs(new Float32Array(100)), -120);
  });
});

describe("volume gate", () => {
  const config = { enabled: true, floorDbfs: -60, adaptive: true, marginDb: 6, maxRaiseDb: 20 };

  it("skips quiet windows and analyses everything during an episode", () => {
    const gate = new VolumeGate(config);
    assert.equal(gate.shouldAnalyse(-70, false), false);
    assert.equal(gate.shouldAnalyse(-70, true), true);
    assert.equal(gate.shouldAnalyse(-50, false), true);
  });

  it("never hides a window louder than floor + maxRaise, however loud the background was", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -120, max: 0, noNaN: true }), { maxLength: 300 }),
        fc.double({ min: -40, max: 0, noNaN: true }),
        (background, cry) => {
          const gate = new VolumeGate(config);
          for (const l of background) gate.observeBackground(l);
          assert.ok(gate.level() <= config.floorDbfs + config.maxRaiseDb);
          assert.equal(gate.shouldAnalyse(cry, false), true);
        },
      ),
    );
  });

  it("adapts to a steady background (a fan) and lets louder sounds through", () => {
    const gate = new VolumeGate(config);
    for (let i = 0; i < 300; i++) gate.observeBackground(-50);
    assert.ok(Math.abs(gate.getNoiseFloor() - -50) < 0.5);
    assert.equal(gate.shouldAnalyse(-48, false), false, "within the margin of the fan");
    assert.equal(gate.shouldAnalyse(-42, false), true);
  });
});
