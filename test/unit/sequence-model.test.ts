import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { applyPlatt, fitPlatt } from "../../src/dev/benchmark/calibration.js";
import { CRY, LEFT_OUT, NOT_CRY, type WindowLabel } from "../../src/dev/benchmark/labels.js";
import { logitOf, smoothed } from "../../src/dev/benchmark/temporal.js";
import { selectBackend } from "../../src/inference/backend.js";
import { loadLayersModelFromDir } from "../../src/inference/heads.js";
import { SequenceModel } from "../../src/inference/sequence-model.js";
import { saveQuantizedModel } from "../../src/train/export.js";
import { finalSequence } from "../../src/train/final-sequence.js";
import { mulberry32 } from "../../src/train/random.js";
import {
  fullBandLogits,
  type LogitPool,
  logitPool,
  minedWeights,
  type SequenceSelection,
  sequenceSet,
} from "../../src/train/sequence-data.js";
import {
  CLASSES,
  fitSequenceModel,
  sequenceLayersModel,
  sequenceSetLogits,
  streamLogits,
} from "../../src/train/sequence-model.js";

let dir: string;
before(async () => {
  await selectBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "babymon-sequence-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const T = 4;
/**
 * A synthetic stream: YAMNet-like logits around −6; in a "cry" every other window has class 20 high (bursts with
 * breaths between); a "voice" has class 0 high in every window and class 20 high in one window only.
 */
function stream(n: number, seed: number) {
  const rand = mulberry32(seed);
  // noise in a few classes only (YAMNet's logits are structured: most classes stay put on most sounds)
  const logits = Float32Array.from({ length: n * CLASSES }, (_, k) => -6 + (k % CLASSES < 24 ? rand() : 0));
  const labels: WindowLabel[] = [];
  for (let i = 0; i < n; i++) {
    const block = Math.floor(i / 12) % 3; // 0 background, 1 cry, 2 voice
    if (block === 1 && i % 2 === 0) logits[i * CLASSES + 20] = 2 + rand();
    if (block === 2) {
      logits[i * CLASSES] = 3 + rand();
      if (i % 12 === 5) logits[i * CLASSES + 20] = 2 + rand();
    }
    const inBlock = i % 12;
    labels.push({
      label: block === 1 ? (inBlock < T - 1 ? LEFT_OUT : CRY) : NOT_CRY,
      group: block === 0 ? "background" : block === 1 ? "cry" : "speech",
      sources: block === 2 ? [`voice:${Math.floor(i / 36)}`] : [],
      // windows 60..71 (a voice block) as if heard through an 8 kHz clip's channel
      bandLimited: i >= 60 && i < 72,
    });
  }
  return { logits, labels };
}

function pool(n: number, seed: number): LogitPool {
  const s = stream(n, seed);
  const logits = new Float32Array(2 * n * CLASSES);
  logits.set(s.logits);
  logits.set(s.logits, n * CLASSES); // the "limited" copy: the same here
  return {
    logits,
    width: CLASSES,
    streams: [{ id: "s", fold: 0, n, rows: { full: 0, limited: n }, labels: s.labels }],
  };
}

/** Every labelled window of every stream, full band, nothing excluded, unless `o` says otherwise. */
const every = (o: Partial<SequenceSelection> = {}): SequenceSelection => ({
  windows: T,
  backgroundEvery: 1,
  bands: ["full"],
  seed: 1,
  streams: () => true,
  exclude: new Set(),
  ...o,
});

const options = {
  windows: T,
  project: 8,
  hidden: 8,
  epochs: 15,
  batchSize: 64,
  learningRate: 1e-2,
  l2: 1e-4,
  dropout: 0,
  seed: 2,
  inputScale: 0.25,
  pooling: "stack" as const,
};

for (const pooling of ["stack", "attention", "gru"] as const)
  test(`the sequence model (${pooling} pooling) tells bursts over several windows from one burst, and the exported model computes the same`, async () => {
    const p = pool(360, 1);
    const set = sequenceSet(p, every());
    const w = fitSequenceModel(set, { ...options, pooling });
    assert.equal(w.pooling, pooling);
    assert.deepEqual(
      Object.keys(w.pool),
      { stack: [], attention: ["attendKernel", "attendBias"], gru: ["gruKernel", "gruRecurrent", "gruBias"] }[
        pooling
      ],
    );
    const test = stream(360, 9);
    const z = streamLogits(test.logits, w);
    let right = 0;
    let counted = 0;
    test.labels.forEach((l, i) => {
      if (l.label === LEFT_OUT) return;
      counted++;
      if ((z[i] > 0 ? CRY : NOT_CRY) === l.label) right++;
    });
    assert.ok(right / counted > 0.95, `only ${right}/${counted} synthetic windows right`);
    // the in-sample scorer agrees with the stream scorer on the same sequences
    const inSample = sequenceSetLogits(set, w);
    const zTrain = streamLogits(p.logits.subarray(0, 360 * CLASSES), w);
    const lastRows = Array.from({ length: set.labels.length }, (_, j) => set.rows[j * T + T - 1]);
    for (const [j, r] of lastRows.entries()) assert.ok(Math.abs(inSample[j] - zTrain[r]) < 1e-4);

    const model = sequenceLayersModel(w);
    const out = join(dir, `sequence-${pooling}`);
    await saveQuantizedModel(model, out, { quantize: false });
    model.dispose();
    const json = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
    assert.ok(json.weightsManifest[0].weights.every((s: { quantization?: unknown }) => !s.quantization));
    const loaded = await loadLayersModelFromDir(out);
    assert.deepEqual(loaded.inputs[0].shape, [null, T, CLASSES]);
    // the daemon's model, window by window from the stream's start (the first window repeated), as streamLogits
    const daemon = await SequenceModel.load(dir, `sequence-${pooling}`, T);
    const windows = Array.from({ length: 210 }, (_, i) => test.logits.slice(i * CLASSES, (i + 1) * CLASSES));
    const y = daemon.logits(windows);
    daemon.dispose();
    for (let i = 0; i < windows.length; i++)
      assert.ok(Math.abs(y[i] - z[i]) < 1e-3, `window ${i}: the daemon's ${y[i]} vs ${z[i]}`);
    loaded.dispose();
  });

test("no training sequence hears an excluded source in any of its windows; mining upweights false highs", () => {
  const p = pool(144, 3);
  const all = sequenceSet(p, every({ bands: ["full", "limited"] }));
  const without = sequenceSet(p, every({ bands: ["full", "limited"], exclude: new Set(["voice:0"]) }));
  const labels = p.streams[0].labels;
  const window = (r: number) => (r >= 144 ? r - 144 : r);
  for (let j = 0; j < without.labels.length; j++)
    for (let t = 0; t < T; t++)
      assert.ok(!labels[window(without.rows[j * T + t])].sources.includes("voice:0"));
  // voice:0 is windows 24..35; sequences ending at 24..38 hear it
  assert.equal(all.labels.length - without.labels.length, 15);
  // both bands are drawn, each sequence within one band
  for (let j = 0; j < all.labels.length; j++) {
    const bands = new Set(Array.from({ length: T }, (_, t) => all.rows[j * T + t] >= 144));
    assert.equal(bands.size, 1);
  }
  assert.ok(all.rows.some((r) => r >= 144) && all.rows.some((r) => r < 144));
  // the first windows repeat window 0
  assert.deepEqual([...all.rows.subarray(0, T)].map(window), [0, 0, 0, 0]);
  const z = Float32Array.from(all.labels, (y, i) => (y === 0 && i % 2 === 0 ? 1 : -1));
  const m = minedWeights(all, z, 3);
  assert.equal(m.mined, all.labels.filter((y, i) => y === 0 && i % 2 === 0).length);
  all.labels.forEach((y, i) => {
    assert.ok(Math.abs(m.weights[i] - all.weights[i] * (y === 0 && i % 2 === 0 ? 3 : 1)) < 1e-6);
  });
});

test("an embedding pool keeps YAMNet's 1024 values per window, and a model trained on it reads 1024 of them", () => {
  const n = 40;
  const rand = mulberry32(5);
  const emb = (k: number) => Float32Array.from({ length: n * 1024 }, () => rand() + k);
  const labels = stream(n, 1).labels;
  const input = { id: "s", fold: 0, fullEmbedding: emb(0), limitedEmbedding: emb(1), labels };
  const p = logitPool([input], null);
  assert.equal(p.width, 1024);
  assert.deepEqual(fullBandLogits(p, p.streams[0]), input.fullEmbedding);
  assert.deepEqual(p.logits.subarray(n * 1024), input.limitedEmbedding);
  const set = sequenceSet(p, every());
  assert.equal(set.width, 1024);
  const w = fitSequenceModel(set, { ...options, epochs: 1 });
  assert.equal(w.inputs, 1024);
  assert.equal(w.w1.length, 1024 * options.project);
  assert.equal(streamLogits(fullBandLogits(p, p.streams[0]), w).length, n);
});

test("a full-band-only set has no sequence touching a band-limited window", () => {
  const p = pool(144, 3);
  const all = sequenceSet(p, every());
  const full = sequenceSet(p, every({ fullBandOnly: true }));
  const labels = p.streams[0].labels;
  for (const r of full.rows) assert.equal(labels[r].bandLimited, false);
  // the sequences ending at 60..74 reach into 60..71
  assert.equal(all.labels.length - full.labels.length, 15);
});

test("the final sequence model is trained without the held-out sources, and its calibration transfer measured", () => {
  const p = pool(360, 1);
  p.streams.push({ ...p.streams[0], id: "t", fold: 1 });
  const calibration = {
    platt: { scale: 1, bias: 0 },
    point: { threshold: 0.5, onsetN: 3, onsetStrong: 1 },
  };
  const lines: string[] = [];
  const input = {
    spec: {
      name: "T=4",
      recipe: {
        model: options,
        bands: ["full"] as const,
        backgroundEvery: 1,
        hardNegatives: false,
        miningBoost: 0,
      },
    },
    pool: p,
    folds: [0, 1],
    held: new Set(["voice:0"]),
    outOfFold: [new Float32Array(360), new Float32Array(360)],
    calibration,
    log: (l: string) => lines.push(l),
  };
  const first = finalSequence(input);
  assert.ok(first.transfer.meanAbsDiff > 0.05, JSON.stringify(first.transfer));
  assert.match(lines.join("\n"), /over the tolerance/);
  // fold models equal to the final one: nothing to transfer
  const own = [0, 1].map(() => streamLogits(p.logits.subarray(0, 360 * CLASSES), first.weights));
  const again = finalSequence({ ...input, outOfFold: own });
  assert.equal(again.transfer.windows, 720);
  assert.ok(
    again.transfer.meanAbsDiff < 1e-6 && again.transfer.crossings === 0,
    JSON.stringify(again.transfer),
  );
  // trained without voice:0 (windows 24..35 of each of the two streams: 15 sequences each hear it)
  const all = sequenceSet(p, every({ seed: 2 }));
  assert.match(lines.join("\n"), new RegExp(`T=4: ${all.labels.length - 30} sequences`));
});

test("smoothing baselines are causal, repeat the first window, and logitOf stays finite", () => {
  const x = [0, 1, 0, 0, 0.5];
  assert.deepEqual([...smoothed(x, { windows: 2, op: "max" })], [0, 1, 1, 0, 0.5]);
  assert.deepEqual([...smoothed(x, { windows: 2, op: "mean" })], [0, 0.5, 0.5, 0, 0.25]);
  const z = logitOf([0, 1, 0.5]);
  assert.ok(z.every(Number.isFinite) && z[2] === 0 && z[0] < -13 && z[1] > 13);
});

test("Platt scaling recovers a known calibration and converges when many logits sit at one clamped extreme", () => {
  const rand = mulberry32(4);
  const z: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 4000; i++) {
    const zi = rand() * 12 - 6;
    z.push(zi);
    y.push(rand() < 1 / (1 + Math.exp(-(0.5 * zi - 1))) ? 1 : 0);
  }
  const p = fitPlatt(z, y);
  assert.ok(Math.abs(p.scale - 0.5) < 0.08 && Math.abs(p.bias + 1) < 0.15, JSON.stringify(p));
  // YAMNet-like: most windows at the clamp (−13.8), the cries spread; the plain Newton step diverged here
  const zc = [...Array(3000).fill(-13.8155), ...Array.from({ length: 600 }, () => rand() * 20 - 10)];
  const yc = [
    ...Array(2900).fill(0),
    ...Array(100).fill(1),
    ...Array.from({ length: 600 }, () => (rand() < 0.6 ? 1 : 0)),
  ];
  const pc = fitPlatt(zc, yc);
  assert.ok(Number.isFinite(pc.scale) && Math.abs(pc.scale) < 5, JSON.stringify(pc));
  const probs = applyPlatt([-13.8155], pc);
  assert.ok(probs[0] > 0.01 && probs[0] < 0.1, `p at the clamp ${probs[0]}`);
});
