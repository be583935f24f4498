import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { decodeWav } from "../../src/audio/wav.js";
import { PATCH_SIZE, PATCH_WINDOW_SAMPLES } from "../../src/dsp/frontend-params.js";
import { LogMelFrontend } from "../../src/dsp/logmel.js";
import { loadClassMap } from "../../src/inference/class-map.js";
import { YamnetModel } from "../../src/inference/yamnet.js";
import { buildYamnetModel } from "../../src/inference/yamnet-build.js";
import { MANIFEST_FILE } from "../../src/inference/yamnet-store.js";
import { PROJECT_ROOT } from "../../src/version.js";

const SHARED = join(PROJECT_ROOT, "..", "shared");
const FRAMES = join(SHARED, "models", "yamnet", "yamnet-frames-dynamic-int8.tflite");
const CLASSIFIER = join(SHARED, "models", "yamnet", "yamnet-classifier-int8.tflite");

interface Golden {
  files: Record<string, { frames: number; bands: number; logmel: number[][] }>;
}
const golden = JSON.parse(readFileSync(join(SHARED, "golden", "yamnet-logmel.json"), "utf8")) as Golden;
const goldenPatch = (file: string, firstFrame = 0) =>
  Float32Array.from(golden.files[file]!.logmel.slice(firstFrame, firstFrame + 96).flat());

const classMap = loadClassMap(join(SHARED, "models", "yamnet", "yamnet_class_map.csv"));
const ranked = (scores: Float32Array) =>
  [...scores].map((score, i) => ({ name: classMap.names[i]!, score })).sort((a, b) => b.score - a.score);

describe("YAMNet model folder and runtime", () => {
  let dir: string;
  let frames: YamnetModel;
  let classifier: YamnetModel;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "babymon-yamnet-"));
    await buildYamnetModel({ tflite: FRAMES, out: join(dir, "frames") });
    await buildYamnetModel({ tflite: CLASSIFIER, out: join(dir, "classifier") });
    frames = await YamnetModel.load(join(dir, "frames"), { backend: "wasm" });
    classifier = await YamnetModel.load(join(dir, "classifier"));
  });

  after(() => {
    frames?.dispose();
    classifier?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a manifest with provenance, layer table and frontend parameters, weights stored int8", () => {
    const m = frames.manifest;
    assert.equal(m.source.file, "yamnet-frames-dynamic-int8.tflite");
    assert.equal(m.source.sha256, "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194");
    assert.equal(m.layers.length, 28);
    assert.deepEqual(m.layers[0], {
      ...m.layers[0]!,
      index: 1,
      op: "conv2d",
      stride: 2,
      kernelShape: [3, 3, 1, 32],
    });
    assert.equal(m.frontend.melBands, 64);
    assert.equal(m.frontend.logOffset, 0.001);
    // int8 storage: weights.bin is close to one byte per weight (3.7M weights), not four.
    const size = statSync(join(dir, "frames", "weights.bin")).size;
    assert.ok(size > 3.6e6 && size < 4.2e6, `weights.bin is ${size} bytes`);
    assert.equal(classifier.manifest.layers.filter((l) => l.quantization === "int8-per-channel").length, 27);
  });

  it("is idempotent: an up-to-date folder is left alone", async () => {
    const before = readFileSync(join(dir, "frames", MANIFEST_FILE), "utf8");
    const again = await buildYamnetModel({ tflite: FRAMES, out: join(dir, "frames") });
    assert.equal(again.status, "up-to-date");
    assert.equal(readFileSync(join(dir, "frames", MANIFEST_FILE), "utf8"), before);
    assert.ok(again.bytesOnDisk > 3.6e6);
  });

  it("downloads from a file:// URL and rebuilds when the weights file was damaged", async () => {
    const out = join(dir, "from-url");
    const built = await buildYamnetModel({ url: pathToFileURL(FRAMES).href, out });
    assert.equal(built.status, "built");
    assert.equal(built.manifest.source.file, "yamnet-frames-dynamic-int8.tflite");
    writeFileSync(join(out, "weights.bin"), "damaged");
    await assert.rejects(YamnetModel.load(out), /weights\.bin has 7 bytes, the manifest says \d+/);
    const rebuilt = await buildYamnetModel({ url: pathToFileURL(FRAMES).href, out });
    assert.equal(rebuilt.status, "built");
  });

  it("refuses to load a folder without a manifest, saying what to run", async () => {
    await assert.rejects(
      YamnetModel.load(join(dir, "nothing-here")),
      /no manifest\.json: build the model with `npm run models`/,
    );
  });

  it("golden log-mel of dog_975ms.wav: Animal ≈ 0.91, Dog ≈ 0.59 (dynamic-int8 file)", () => {
    const [out] = frames.predict([goldenPatch("dog_975ms.wav")]);
    const top = ranked(out!.scores);
    assert.deepEqual(
      top.slice(0, 3).map((t) => t.name),
      ["Animal", "Dog", "Domestic animals, pets"],
    );
    assert.ok(Math.abs(top[0]!.score - 0.91) < 0.02, `Animal ${top[0]!.score}`);
    assert.ok(Math.abs(top[1]!.score - 0.59) < 0.03, `Dog ${top[1]!.score}`);
    assert.equal(out!.embedding.length, 1024);
    assert.ok(out!.embedding.every((v) => v >= 0));
  });

  it("speech.wav's last window with the classifier file: Speech top 1 ≥ 0.90", () => {
    const wav = decodeWav(new Uint8Array(readFileSync(join(SHARED, "examples", "speech.wav"))), "speech.wav");
    assert.equal(wav.samples.length, 68360);
    const window = wav.samples.subarray(52760, 52760 + PATCH_WINDOW_SAMPLES);
    const [out] = classifier.predict([new LogMelFrontend().patch(window)]);
    const top = ranked(out!.scores);
    assert.equal(top[0]!.name, "Speech");
    assert.ok(top[0]!.score >= 0.9, `Speech ${top[0]!.score}`);
    assert.ok(Math.abs(top[0]!.score - 0.957) < 0.01, `Speech ${top[0]!.score} vs Google's 0.957`);
  });

  it("batches give the same result as single patches; embedding is the mean of layer 27", () => {
    const patches = [
      goldenPatch("dog_975ms.wav"),
      goldenPatch("two_heads.wav"),
      goldenPatch("speech.wav", 200),
    ];
    const batch = frames.predict(patches, { featureLayers: [27] });
    for (const [i, p] of patches.entries()) {
      const [single] = frames.predict([p]);
      for (let c = 0; c < 521; c++) assert.ok(Math.abs(single!.scores[c]! - batch[i]!.scores[c]!) < 1e-5);
      const fm = batch[i]!.featureMaps![27]!;
      assert.deepEqual(fm.shape, [3, 2, 1024]);
      for (const c of [0, 100, 1023]) {
        let sum = 0;
        for (let s = 0; s < 6; s++) sum += fm.data[s * 1024 + c]!;
        assert.ok(Math.abs(sum / 6 - batch[i]!.embedding[c]!) < 1e-5);
      }
    }
  });

  it("returns any intermediate feature map with its documented shape", () => {
    const out = frames.predict([goldenPatch("dog_975ms.wav")], { featureLayers: [1, 9, 13, 23] })[0]!;
    assert.deepEqual(out.featureMaps![1]!.shape, [48, 32, 32]);
    assert.deepEqual(out.featureMaps![9]!.shape, [12, 8, 256]);
    assert.deepEqual(out.featureMaps![13]!.shape, [6, 4, 512]);
    assert.equal(out.featureMaps![23]!.data.length, 6 * 4 * 512);
    assert.deepEqual(frames.layerShapes[8], [12, 8, 128]);
    assert.throws(
      () => frames.predict([goldenPatch("dog_975ms.wav")], { featureLayers: [28] }),
      /between 1 and 27, got 28/,
    );
  });

  it("rejects a patch of the wrong size, naming it", () => {
    assert.throws(
      () => frames.predict([goldenPatch("dog_975ms.wav"), new Float32Array(100)]),
      new RegExp(`patch 1 to be a Float32Array of ${PATCH_SIZE} values .*got 100`),
    );
  });

  it("does not leak tensors across predictions (including more patches than one batch)", () => {
    const patches = Array.from({ length: 20 }, (_, i) => goldenPatch("speech.wav", i * 10));
    frames.predict(patches.slice(0, 1));
    const before = tf.memory().numTensors;
    frames.predict(patches, { featureLayers: [5, 13] });
    frames.predict([]);
    assert.equal(tf.memory().numTensors, before);
  });
});
