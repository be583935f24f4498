import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { buildYamnetModel } from "../../src/inference/yamnet-build.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";

const MODELS = join(PROJECT_ROOT, "..", "shared", "models", "yamnet");
const CLI = join(PROJECT_ROOT, "src", "cli", "main.ts");

async function babymon(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", CLI, ...args],
      {
        cwd: PROJECT_ROOT,
        env: envWithoutBabymon(env),
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("babymon models", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "babymon-models-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("builds from --tflite, reports layers and on-disk size, then is up to date", async () => {
    const out = join(dir, "classifier");
    const first = await babymon([
      "models",
      "--tflite",
      join(MODELS, "yamnet-classifier-int8.tflite"),
      "--out",
      out,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /models: built .* from yamnet-classifier-int8\.tflite \(sha256 10c95ea3eb9a…, 4\.13 MB\)/,
    );
    assert.match(
      first.stdout,
      /28 layers \(27 conv \+ dense 1024→521\); weights 27 int8-per-channel, 1 int8-per-tensor/,
    );
    assert.match(
      first.stdout,
      /models: 3\.\d\d MB on disk \(manifest, weights\.bin, yamnet_class_map\.csv\)/,
    );
    const second = await babymon([
      "models",
      "--tflite",
      join(MODELS, "yamnet-classifier-int8.tflite"),
      "--out",
      out,
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /models: up to date: /);
  });

  it("takes BABYMON_YAMNET_TFLITE when --tflite is absent, and says when the file is missing", async () => {
    const missing = join(dir, "nowhere", "yamnet.tflite");
    const r = await babymon(["models", "--out", join(dir, "env")], { BABYMON_YAMNET_TFLITE: missing });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `models: YAMNet TFLite file not found: ${missing}`);
  });

  it("refuses garbage, naming the file and the problem", async () => {
    const garbage = join(dir, "garbage.tflite");
    writeFileSync(garbage, Buffer.alloc(2048, 0x5a));
    const r = await babymon(["models", "--tflite", garbage, "--out", join(dir, "garbage")]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      `models: ${garbage}: not a readable TFLite model: file identifier is "ZZZZ", expected "TFL3"`,
    );
  });

  it("refuses a known file name with the wrong sha256, and leaves no model behind", async () => {
    const copy = join(dir, "yamnet-classifier-int8.tflite");
    copyFileSync(join(MODELS, "yamnet-classifier-int8.tflite"), copy);
    const bytes = readFileSync(copy);
    bytes[1000] ^= 1;
    writeFileSync(copy, bytes);
    const out = join(dir, "tampered");
    await assert.rejects(
      buildYamnetModel({ tflite: copy, out }),
      /yamnet-classifier-int8\.tflite: cannot import as YAMNet: sha256 is [0-9a-f]{64}, expected 10c95ea3/,
    );
    assert.throws(() => readFileSync(join(out, "manifest.json")), /ENOENT/);
  });

  it("checks --url and --tflite", async () => {
    await assert.rejects(
      buildYamnetModel({ url: "ftp://example.org/y.tflite", out: dir }),
      /`--url` to be an http\(s\):\/\/ or file:\/\/ address, got ftp:/,
    );
    await assert.rejects(
      buildYamnetModel({ url: "file:///x.tflite", tflite: "/x.tflite", out: dir }),
      /either --tflite or --url/,
    );
    await assert.rejects(
      buildYamnetModel({ url: "file:///no/such/yamnet.tflite", out: dir }),
      /YAMNet TFLite file not found: \/no\/such\/yamnet\.tflite/,
    );
  });
});
