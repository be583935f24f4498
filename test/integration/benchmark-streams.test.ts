import assert from "node:assert/strict";
import { test } from "node:test";
import { listBenchClips } from "../../src/dev/benchmark/sources.js";
import { buildFoldStream, DEFAULT_STREAM, type FoldStream } from "../../src/dev/benchmark/streams.js";
import type { BenchClip } from "../../src/dev/benchmark/types.js";
import { bandLimit } from "../../src/dsp/band-limit.js";

// The benchmark's streams from ../shared: an 8 kHz-only cry is heard with its surroundings band-limited, as is the same
// share of negative stretches, and nothing else of the stream changes.

const RATE = 16000;

function clips(): BenchClip[] {
  const all = listBenchClips();
  const narrow = all.filter((c) => c.kind === "cry" && !c.fullBandTwin).slice(0, 2);
  const wide = all.filter((c) => c.kind === "cry" && c.fullBandTwin).slice(0, 2);
  const cries = new Set([...narrow, ...wide].map((c) => c.source));
  // one clip of each of 12 negative sources: 12 stretches
  const negatives: BenchClip[] = [];
  const seen = new Set<string>();
  for (const c of all)
    if (c.kind === "negative" && !cries.has(c.source) && !seen.has(c.source) && negatives.length < 12) {
      seen.add(c.source);
      negatives.push(c);
    }
  return [...narrow, ...wide, ...negatives];
}

/** Share of a span's energy above 4 kHz (what band-limiting it once more takes away). */
function above4k(x: Float32Array): number {
  const low = bandLimit(x, 4000, RATE);
  let all = 0;
  let high = 0;
  for (let i = 0; i < x.length; i++) {
    all += x[i] * x[i];
    high += (x[i] - low[i]) ** 2;
  }
  return high / all;
}

test("8 kHz-only cries and a matching share of negative stretches are heard band-limited with their surroundings; the rest of the stream is unchanged", async () => {
  const c = clips();
  const matched = await buildFoldStream(0, c, DEFAULT_STREAM);
  const plain: FoldStream = await buildFoldStream(0, c, { ...DEFAULT_STREAM, matchCryBandwidth: false });
  assert.equal(matched.samples.length, plain.samples.length);
  const narrow = new Set(c.filter((x) => x.kind === "cry" && !x.fullBandTwin).map((x) => x.source));
  for (const e of matched.events.filter((e) => e.kind === "cry"))
    assert.equal(e.bandLimited, narrow.has(e.source), `cry of ${e.source}`);
  const limitedNegatives = matched.events.filter((e) => e.kind === "negative" && e.bandLimited).length;
  // half the cries are 8 kHz-only, so about half of the 12 negative stretches
  assert.ok(limitedNegatives >= 2 && limitedNegatives <= 10, `${limitedNegatives} of 12 negative stretches`);
  assert.ok(plain.events.every((e) => !e.bandLimited));
  assert.deepEqual(
    matched.events.map(({ bandLimited: _, ...e }) => e),
    plain.events.map(({ bandLimited: _, ...e }) => e),
  );

  const margin = DEFAULT_STREAM.bandMarginSec * RATE;
  const spans = matched.events
    .filter((e) => e.bandLimited)
    .map((e) => [Math.round(e.start * RATE) - margin, Math.round(e.end * RATE) + margin] as const);
  let differing = 0;
  for (let i = 0; i < matched.samples.length; i++) {
    const inside = spans.some(([a, b]) => i >= a && i < b);
    if (!inside && matched.samples[i] !== plain.samples[i]) differing++;
  }
  assert.equal(differing, 0, "samples outside the band-limited spans differ");
  for (const [a, b] of spans) {
    const inner = (s: FoldStream) => s.samples.subarray(a + 0.1 * RATE, b - 0.1 * RATE);
    const m = above4k(inner(matched));
    const p = above4k(inner(plain));
    assert.ok(
      m < 0.01 && p > 10 * m,
      `span at ${(a / RATE).toFixed(1)} s: above 4 kHz ${m} vs ${p} unmatched`,
    );
  }
});
