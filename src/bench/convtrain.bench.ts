import type * as TF from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { type BackendPreference, selectBackend, tf } from "../inference/backend.js";
import { registerWasmGradientKernels } from "../inference/wasm-grad/index.js";
import { formatKernelTimings, timeWasmKernels } from "./wasm-kernel-timings.js";

/**
 * Conv training section of `npm run bench` (`npm run bench -- convtrain [--patches=N] [--batch=N]
 * [--width=F] [--backends=wasm,cpu]`): training throughput of a Base-CNN-shaped net (3 × [conv 3×3 →
 * batch-norm → ReLU → max-pool 2], dropout, Dense 256, 5 softmax outputs; 32/64/128 channels × width) on
 * YAMNet-sized 96 × 64 log-mel patches, per backend: wasm with babymon's gradient kernels
 * (src/inference/wasm-grad) vs the cpu backend, and tfjs-node where installed. Prints patches/s of one
 * training step (median of repeated steps) and the time of one synthetic epoch (`--patches`, default 256),
 * wall and CPU (user + system, all threads: less sensitive to other load on a shared machine); on wasm also
 * per-kernel times of its own kernels vs babymon's (src/bench/wasm-kernel-timings.ts).
 */
const PATCH: [number, number, number] = [96, 64, 1];

interface Options {
  patches: number;
  batch: number;
  width: number;
  backends: BackendPreference[];
}

function option(args: string[], name: string, fallback: string): string {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

function parseOptions(args: string[]): Options {
  const num = (name: string, fallback: number): number => {
    const raw = option(args, name, String(fallback));
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(
        `convtrain bench: expected --${name} to be a positive number, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };
  const backends = option(args, "backends", "wasm,cpu,node").split(",") as BackendPreference[];
  return { patches: num("patches", 256), batch: num("batch", 32), width: num("width", 1), backends };
}

/** The Base CNN's shape (the archs' base-cnn builds the same stack with the study's recipe). */
function baseCnnShape(width: number): tfl.LayersModel {
  const model = tfl.sequential();
  for (const [i, filters] of [32, 64, 128].entries()) {
    model.add(
      tfl.layers.conv2d({
        ...(i === 0 ? { inputShape: PATCH } : {}),
        filters: Math.max(4, Math.round(filters * width)),
        kernelSize: 3,
        padding: "same",
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: 18 + i }),
      }),
    );
    model.add(tfl.layers.batchNormalization());
    model.add(tfl.layers.reLU());
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  }
  model.add(tfl.layers.dropout({ rate: 0.3, seed: 18 }));
  model.add(tfl.layers.flatten());
  model.add(
    tfl.layers.dense({
      units: 256,
      activation: "relu",
      kernelInitializer: tfl.initializers.heNormal({ seed: 21 }),
    }),
  );
  model.add(
    tfl.layers.dense({
      units: 5,
      activation: "softmax",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 22 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  return model;
}

function syntheticBatch(n: number, seed: number): { x: TF.Tensor; y: TF.Tensor } {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const x = tf.tensor4d(
    Float32Array.from({ length: n * PATCH[0] * PATCH[1] }, () => -7 + 10 * rnd()),
    [n, ...PATCH],
  );
  const labels = tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => i % 5),
    "int32",
  );
  const y = tf.cast(tf.oneHot(labels, 5), "float32");
  labels.dispose();
  return { x, y };
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed(body: () => Promise<unknown>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
};

async function benchBackend(pref: BackendPreference, o: Options): Promise<string> {
  let active: Awaited<ReturnType<typeof selectBackend>>;
  try {
    active = await selectBackend(pref);
  } catch (err) {
    return `  ${pref}: not available (${(err as Error).message.split("\n")[0]})`;
  }
  let kernelLines = "";
  if (active.name === "wasm") {
    const native = timeWasmKernels(3, false);
    registerWasmGradientKernels();
    kernelLines = `\n  per kernel (least CPU time of 3 runs):\n${formatKernelTimings(native, timeWasmKernels(3, true))}`;
  }
  const label = `${active.description}${active.name === "wasm" ? " + babymon gradient kernels" : ""}`;
  const model = baseCnnShape(o.width);
  const { x, y } = syntheticBatch(o.batch, 1);
  try {
    await model.trainOnBatch(x, y); // warm-up: kernel setup, optimizer slots
    // the cpu backend takes seconds per step: fewer repetitions there
    const reps = active.name === "cpu" ? 2 : 5;
    const steps: Timing[] = [];
    for (let i = 0; i < reps; i++) steps.push(await timed(() => model.trainOnBatch(x, y)));
    const stepWall = median(steps.map((s) => s.wallMs));
    const stepCpu = median(steps.map((s) => s.cpuMs));
    const epochData = syntheticBatch(o.patches, 2);
    const epoch = await timed(() =>
      model.fit(epochData.x, epochData.y, { batchSize: o.batch, epochs: 1, shuffle: false, verbose: 0 }),
    );
    tf.dispose([epochData.x, epochData.y]);
    return (
      [
        `  ${label}:`,
        `    training step (batch ${o.batch}): ${((o.batch * 1000) / stepWall).toFixed(1)} patches/s wall` +
          ` (${stepWall.toFixed(0)} ms/step, median of ${reps}), ${(stepCpu / o.batch).toFixed(1)} CPU ms/patch`,
        `    epoch of ${o.patches} patches: ${(epoch.wallMs / 1000).toFixed(1)} s wall, ${(epoch.cpuMs / 1000).toFixed(1)} s CPU`,
      ].join("\n") + kernelLines
    );
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  console.log(
    `conv training, Base-CNN shape (width ${o.width}) on ${PATCH.join("×")} patches, batch ${o.batch}, Adam:`,
  );
  for (const pref of o.backends) console.log(await benchBackend(pref, o));
}
