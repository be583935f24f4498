import assert from "node:assert/strict";
import { test } from "node:test";
import { REASONS } from "../../src/events.js";
import {
  type Combination,
  combineLogits,
  YAMNET_CLASS_COUNT,
  yamnetLogitsInto,
} from "../../src/inference/heads.js";
import { mulberry32 } from "../../src/train/random.js";
import { chooseYamnetStack } from "../../src/train/stack.js";

const D = YAMNET_CLASS_COUNT;

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** n patches: a head logit z with some signal; YAMNet logits of noise, except class 7 when `informative`. */
function synthetic(n: number, informative: boolean, seed: number) {
  const rand = mulberry32(seed);
  const z = new Float64Array(n);
  const x = new Float32Array(n * D);
  const y = new Uint8Array(n);
  const fold = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < D; k++) x[i * D + k] = gaussian(rand);
    z[i] = gaussian(rand);
    const evidence = informative ? 2.5 * x[i * D + 7] : 0;
    y[i] = z[i] + evidence + 0.5 * gaussian(rand) > 0 ? 1 : 0;
    fold[i] = i % 5;
  }
  return { z, x, y, fold };
}

test("YAMNet evidence joins the cry logit only when the second-level CV shows it helps", () => {
  const useful = synthetic(800, true, 1);
  const chosen = chooseYamnetStack(useful.z, useful.x, useful.y, useful.fold, [0.03]);
  assert.ok(
    chosen.stack,
    `expected the stack to be used: ${JSON.stringify(chosen.byLambda)} vs ${JSON.stringify(chosen.platt)}`,
  );
  const w = chosen.stack.weights;
  const strongest = w.reduce((best, v, k) => (Math.abs(v) > Math.abs(w[best]) ? k : best), 0);
  assert.equal(strongest, 7);
  assert.ok(chosen.byLambda[0].auc > chosen.platt.auc + 0.05);

  const noise = synthetic(800, false, 2);
  const rejected = chooseYamnetStack(noise.z, noise.x, noise.y, noise.fold, [0.03]);
  assert.equal(rejected.stack, null);
  assert.equal(rejected.lambda, null);
  assert.ok(rejected.byLambda[0].logLoss > rejected.platt.logLoss);
});

test("the daemon's combination adds the YAMNet evidence term, and refuses to run without YAMNet's logits", () => {
  const weights = new Array(D).fill(0);
  weights[67] = -0.5; // "Animal"
  weights[20] = 0.25; // "Baby cry, infant cry"
  const c: Combination = {
    cry: { fcWeight: 0.5, scale: 2, bias: -1, yamnet: weights },
    reason: { fcWeight: 1, temperature: 1, bias: new Array(REASONS.length).fill(0) },
  };
  const scores = new Float32Array(D).fill(0.01);
  scores[67] = 0.9;
  scores[20] = 1; // saturated: clamped, so its logit stays finite
  const yamnetLogits = new Float32Array(D);
  yamnetLogitsInto(scores, yamnetLogits, 0);
  assert.ok(Number.isFinite(yamnetLogits[20]) && yamnetLogits[20] > 13);
  const l = {
    fcCry: Float32Array.of(1),
    mnCry: Float32Array.of(3),
    fcReason: new Float32Array(REASONS.length),
    mnReason: new Float32Array(REASONS.length),
  };
  const { cry } = combineLogits({ ...l, yamnetLogits }, c);
  const expected = 2 * (0.5 * 1 + 0.5 * 3) - 1 - 0.5 * Math.log(0.9 / 0.1) + 0.25 * yamnetLogits[20];
  assert.ok(Math.abs(cry[0] - 1 / (1 + Math.exp(-expected))) < 1e-6);
  assert.throws(() => combineLogits(l, c), /Expected YAMNet class logits for 1 patches .*got none/);
});
