import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { BackendError, selectBackend } from "../../src/inference/backend.js";
import { YamnetModel } from "../../src/inference/yamnet.js";
import { buildYamnetModel } from "../../src/inference/yamnet-build.js";
import { PROJECT_ROOT } from "../../src/version.js";

const SHARED = join(PROJECT_ROOT, "..", "shared");
const golden = JSON.parse(readFileSync(join(SHARED, "golden", "yamnet-logmel.json"), "utf8")) as {
  files: Record<string, { logmel: number[][] }>;
};
const patches = [
  Float32Array.from(golden.files["dog_975ms.wav"]!.logmel.flat()),
  Float32Array.from(golden.files["speech.wav"]!.logmel.slice(300, 396).flat()),
];

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

describe("TF.js backends", () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "babymon-backends-"));
    await buildYamnetModel({
      tflite: join(SHARED, "models", "yamnet", "yamnet-frames-dynamic-int8.tflite"),
      out: dir,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("selecting wasm leaves the process's error handlers as they were (Emscripten adds rethrowing ones)", async () => {
    // First test in this file: the wasm runtime is initialised here for the first time in this process.
    const before = [process.listenerCount("uncaughtException"), process.listenerCount("unhandledRejection")];
    await selectBackend("wasm");
    assert.deepEqual(
      [process.listenerCount("uncaughtException"), process.listenerCount("unhandledRejection")],
      before,
    );
  });

  it("cpu and wasm agree to 1e-4 on the scores of the same patches", async () => {
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ["cpu", "wasm"] as const) {
      const active = await selectBackend(backend);
      assert.equal(active.name, backend);
      assert.equal(tf.getBackend(), backend);
      const model = await YamnetModel.load(dir);
      assert.equal(model.backend, backend);
      results[backend] = model.predict(patches).map((o) => o.scores);
      model.dispose();
    }
    let maxDiff = 0;
    for (const [i, cpu] of results.cpu!.entries()) {
      const wasm = results.wasm![i]!;
      for (let c = 0; c < cpu.length; c++) maxDiff = Math.max(maxDiff, Math.abs(cpu[c]! - wasm[c]!));
    }
    assert.ok(maxDiff <= 1e-4, `max |cpu − wasm| = ${maxDiff}`);
    // The comparison is not vacuous: the patches score very differently.
    assert.ok(Math.abs(results.cpu![0]![0]! - results.cpu![1]![0]!) > 0.5);
  });

  it("auto takes tfjs-node when installed, else wasm, and says so", async () => {
    const lines: string[] = [];
    const active = await selectBackend("auto", (l) => lines.push(l));
    const expected = tfjsNodeInstalled() ? "tensorflow" : "wasm";
    assert.equal(active.name, expected);
    if (expected === "wasm") assert.match(active.description, /^wasm \((SIMD|no SIMD), \d+ threads?\)$/);
    assert.ok(lines.length <= 1);
  });

  it("a forced backend that cannot load fails with the reason; a bad name is refused", async () => {
    if (!tfjsNodeInstalled()) {
      await assert.rejects(selectBackend("node"), (err: unknown) => {
        return err instanceof BackendError && /^Cannot use the node backend: node: /.test(err.message);
      });
    }
    await assert.rejects(
      selectBackend("gpu" as never),
      /Expected `backend` to be one of auto, node, wasm, cpu, got "gpu"/,
    );
  });
});
