import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { z } from "zod";
import { readAudioFile16k } from "../../src/audio/decode.js";
import { classifyFile } from "../../src/cli/classify/classify-file.js";
import type { FileResultOk } from "../../src/cli/classify/types.js";
import { bandLimit } from "../../src/dsp/band-limit.js";
import { PATCH_WINDOW_SAMPLES } from "../../src/dsp/frontend-params.js";
import { LogMelFrontend } from "../../src/dsp/logmel.js";
import { REASONS, type ReasonProbabilities } from "../../src/events.js";
import { createAnalyzer, findHeadsDirs, type YamnetAnalyzer } from "../../src/inference/analyzer.js";
import { type ClassMap, loadClassMap } from "../../src/inference/class-map.js";
import type { CryHeads } from "../../src/inference/types.js";
import { DEFAULT_YAMNET_DIR } from "../../src/inference/yamnet.js";
import { buildYamnetModel } from "../../src/inference/yamnet-build.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";
import { prerequisiteOrSkip, toolOrSkip } from "../support/tools.js";

/** Acceptance of issue 2 with the real dynamic-int8 YAMNet weights from ../shared. */

const EXAMPLES = join(PROJECT_ROOT, "..", "shared", "examples");
const example = (name: string) => join(EXAMPLES, name);
const dir = mkdtempSync(join(tmpdir(), "babymon-classify-"));

let analyzer: YamnetAnalyzer;
let classes: ClassMap;

before(async () => {
  if (!existsSync(join(DEFAULT_YAMNET_DIR, "manifest.json"))) await buildYamnetModel({});
  analyzer = await createAnalyzer({ backend: "wasm" });
  classes = loadClassMap();
});
after(() => {
  analyzer?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function classify(path: string, perPatch = false): Promise<FileResultOk> {
  const r = await classifyFile(analyzer, classes, path, { top: 5, perPatch });
  assert.ok(r.ok, r.ok ? "" : r.error);
  return r;
}

const names = (r: FileResultOk, n: number) => r.top.slice(0, n).map((c) => c.name);

test("baby_975ms.wav: 'Crying, sobbing' and 'Baby cry, infant cry' are the top 2, each ≥ 0.7", async () => {
  const r = await classify(example("baby_975ms.wav"));
  assert.equal(r.patches, 1);
  assert.deepEqual(names(r, 2).sort(), ["Baby cry, infant cry", "Crying, sobbing"]);
  for (const c of r.top.slice(0, 2)) assert.ok(c.score >= 0.7, `${c.name} ${c.score}`);
  assert.equal(r.cry.yamnet, Math.max(...r.top.slice(0, 2).map((c) => c.score)));
  assert.equal(r.cry.heads, null);
  assert.equal(r.reasons, null);
});

test("baby_5000ms.wav: the two cry classes are the top 2 of the mean over 9 patches", async () => {
  const r = await classify(example("baby_5000ms.wav"), true);
  assert.equal(r.patches, 9);
  assert.equal(r.perPatch?.length, 9);
  assert.deepEqual(names(r, 2).sort(), ["Baby cry, infant cry", "Crying, sobbing"]);
  assert.ok(r.cry.yamnetPeak >= r.cry.yamnet);
  assert.equal(r.cry.yamnetPeak, Math.max(...(r.perPatch ?? []).map((p) => p.yamnetCry)));
});

test("dog_975ms.wav: 'Animal' and 'Dog' are in the top 3", async () => {
  const r = await classify(example("dog_975ms.wav"));
  assert.ok(names(r, 3).includes("Animal") && names(r, 3).includes("Dog"), names(r, 3).join(", "));
});

test("jingle_975ms.wav (48 kHz): 'Music' is top 1", async () => {
  const r = await classify(example("jingle_975ms.wav"));
  assert.equal(r.top[0].name, "Music");
  assert.equal(r.sampleRate, 48000);
});

test("an ogg made by ffmpeg from baby_975ms.wav is decoded and still cries", async (t) => {
  if (toolOrSkip(t, "ffmpeg")) return;
  const ogg = join(dir, "baby.ogg");
  const made = spawnSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-i",
    example("baby_975ms.wav"),
    "-c:a",
    "libvorbis",
    "-q:a",
    "8",
    ogg,
  ]);
  assert.equal(made.status, 0, made.stderr.toString());
  const r = await classify(ogg);
  assert.match(r.format, /^ogg via ffmpeg/);
  assert.deepEqual(names(r, 2).sort(), ["Baby cry, infant cry", "Crying, sobbing"]);
});

test("a clip shorter than one window is padded with silence to one patch", async () => {
  const bytes = readFileSync(example("dog_975ms.wav"));
  const short = Buffer.from(bytes.subarray(0, 44 + 2 * 12000));
  short.writeUInt32LE(2 * 12000, 40);
  short.writeUInt32LE(36 + 2 * 12000, 4);
  const p = join(dir, "short.wav");
  writeFileSync(p, short);
  const r = await classify(p);
  assert.equal(r.patches, 1);
  assert.equal(r.padded, true);
});

// --- the CLI, as users run it ---

function runCli(args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(PROJECT_ROOT, "src/cli/main.ts"), "classify", ...args],
    {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: envWithoutBabymon(),
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const Score = z.object({
  index: z.number().int().min(0).max(520),
  name: z.string().min(1),
  score: z.number().min(0).max(1),
});
const Reasons = z.object({
  hungry: z.number(),
  belly_pain: z.number(),
  burping: z.number(),
  discomfort: z.number(),
  tired: z.number(),
});
const Patch = z.strictObject({
  index: z.number().int().min(0),
  startSec: z.number().min(0),
  endSec: z.number().min(0),
  top: z.array(Score),
  yamnetCry: z.number().min(0).max(1),
  cry: z.number().min(0).max(1),
  reasons: Reasons.nullable(),
});
const FileOk = z.strictObject({
  path: z.string(),
  ok: z.literal(true),
  format: z.string(),
  sampleRate: z.number().int().positive(),
  channels: z.number().int().positive(),
  durationSec: z.number().positive(),
  patches: z.number().int().positive(),
  padded: z.boolean(),
  top: z.array(Score),
  cry: z.strictObject({
    yamnet: z.number().min(0).max(1),
    yamnetPeak: z.number().min(0).max(1),
    heads: z.number().min(0).max(1).nullable(),
    headsPeak: z.number().min(0).max(1).nullable(),
  }),
  reasons: Reasons.nullable(),
  perPatch: z.array(Patch).optional(),
  elapsedMs: z.number().min(0),
});
const FileError = z.strictObject({ path: z.string(), ok: z.literal(false), error: z.string().min(1) });
/** The schema documented in README.md, "classify --json schema". */
const Output = z.strictObject({
  schemaVersion: z.literal(1),
  babymon: z.string(),
  backend: z.string(),
  models: z.strictObject({ yamnet: z.string().regex(/^[0-9a-f]{64}$/), heads: z.string().nullable() }),
  bandLimitHz: z.number().min(0),
  top: z.number().int().positive(),
  files: z.array(z.union([FileOk, FileError])),
});

test("CLI --json follows the documented schema; a bad file is reported on stderr, the others still classified, exit 1", () => {
  const truncated = join(dir, "truncated.wav");
  const bytes = readFileSync(example("speech.wav"));
  writeFileSync(truncated, bytes.subarray(0, 44 + 40000));
  const r = runCli([
    example("baby_975ms.wav"),
    truncated,
    example("dog_975ms.wav"),
    "--json",
    "--top",
    "3",
    "--per-patch",
    "--no-heads",
  ]);
  assert.equal(r.code, 1, r.stderr);
  const out = Output.parse(JSON.parse(r.stdout)); // schemaVersion 1 included
  assert.equal(out.top, 3);
  assert.equal(out.models.heads, null);
  assert.equal(out.bandLimitHz, 0);
  assert.deepEqual(
    out.files.map((f) => f.ok),
    [true, false, true],
  );
  const [baby, bad, dog] = out.files;
  assert.ok(baby.ok && dog.ok && !bad.ok);
  assert.equal(baby.top.length, 3);
  assert.equal(baby.perPatch?.length, 1);
  assert.equal(baby.top[0].name, "Crying, sobbing");
  assert.equal(dog.top[0].name, "Animal");
  assert.equal(bad.error, `${truncated}: truncated data chunk: header says 136720 bytes, file has 40000`);
  assert.match(
    r.stderr,
    new RegExp(`classify: ${truncated}: truncated data chunk: header says 136720 bytes, file has 40000`),
  );
  // the manifest's sha256 is the source TFLite's
  assert.equal(out.models.yamnet, "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194");
});

test("CLI error messages: empty WAV, unknown format, bad --top", () => {
  const empty = join(dir, "empty.wav");
  const header = Buffer.from(readFileSync(example("dog_975ms.wav")).subarray(0, 44));
  header.writeUInt32LE(0, 40);
  header.writeUInt32LE(36, 4);
  writeFileSync(empty, header);
  const unknown = join(dir, "notes.txt");
  writeFileSync(unknown, "these are not audio samples");
  const r = runCli([empty, unknown, "--no-heads"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, new RegExp(`classify: ${empty}: empty data chunk: no audio samples`));
  assert.match(
    r.stderr,
    new RegExp(
      `classify: ${unknown}: unknown audio format \\(extension \\.txt\\): starts with bytes 74 68 65 73`,
    ),
  );
  const badTop = runCli([example("dog_975ms.wav"), "--top", "0"]);
  assert.equal(badTop.code, 2);
  assert.match(badTop.stderr, /Expected `--top` to be an integer between 1 and 521, got "0"/);
});

test("CLI human output is a table with the top classes and the cry score", () => {
  const r = runCli([example("baby_975ms.wav"), "--top", "2", "--no-heads"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /baby_975ms\.wav — WAV pcm16 1ch 44100 Hz, 0\.98 s, 1 patch/);
  assert.match(r.stdout, /│ 1 │ Crying, sobbing\s+│ 0\.9\d\d │/);
  assert.match(r.stdout, /│ 2 │ Baby cry, infant cry\s+│ 0\.[78]\d\d │/);
  assert.match(r.stdout, /cry score \(YAMNet.*\): 0\.9\d\d mean, 0\.9\d\d peak/);
});

test("with trained heads under models/, classify reports their cry probability and reasons", (t) => {
  const problem =
    findHeadsDirs().length > 0 ? null : "no trained heads under models/ (committed in models/babymon-heads)";
  if (prerequisiteOrSkip(t, problem)) return;
  const headsDir = findHeadsDirs()[0];
  const manifest = JSON.parse(readFileSync(join(headsDir, "manifest.json"), "utf8")) as {
    name: string;
    version: string;
    bandLimitHz: number;
  };
  const r = runCli([example("baby_5000ms.wav"), example("dog_975ms.wav"), "--json", "--per-patch"]);
  assert.equal(r.code, 0, r.stderr);
  const out = Output.parse(JSON.parse(r.stdout));
  assert.equal(out.models.heads, `${manifest.name}@${manifest.version}`);
  assert.equal(out.bandLimitHz, manifest.bandLimitHz);
  for (const f of out.files) {
    assert.ok(f.ok && f.cry.heads !== null && f.reasons !== null);
    const sum = Object.values(f.reasons).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3, `reasons sum to ${sum}`);
    for (const p of f.perPatch ?? []) assert.ok(p.reasons !== null);
  }
});

/**
 * The analyzer's heads plumbing, with a small deterministic head of our own (cry = YAMNet's class 20, reasons =
 * softmax of five embedding dimensions): feature maps requested, band limit applied, cry-weighted reason means.
 */
test("heads plumbing: feature layers, band limit, classify's cry-weighted reasons", async () => {
  const seen: number[][] = [];
  const heads: CryHeads = {
    version: "plumbing@1",
    featureLayers: [13],
    bandLimitHz: 4000,
    predict(outputs) {
      return outputs.map((o) => {
        seen.push(Object.keys(o.featureMaps ?? {}).map(Number));
        assert.deepEqual(o.featureMaps?.[13]?.shape, [6, 4, 512]);
        const z = [0, 1, 2, 3, 4].map((k) => Math.exp(o.embedding[k]));
        const total = z.reduce((a, b) => a + b, 0);
        const reasons = Object.fromEntries(
          REASONS.map((name, k) => [name, z[k] / total]),
        ) as ReasonProbabilities;
        return { cry: o.scores[20], reasons };
      });
    },
  };
  const withHeads = await createAnalyzer({ backend: "wasm", heads });
  try {
    assert.equal(withHeads.bandLimitHz, 4000);
    assert.equal(withHeads.models.heads, "plumbing@1");
    const clip = await readAudioFile16k(example("baby_5000ms.wav"));
    const window = clip.samples.slice(0, PATCH_WINDOW_SAMPLES);
    assert.deepEqual(withHeads.patchOf(window), new LogMelFrontend().patch(bandLimit(window, 4000)));
    const r = await classifyFile(withHeads, classes, example("baby_5000ms.wav"), {
      top: 521,
      perPatch: true,
    });
    assert.ok(r.ok);
    assert.deepEqual(seen[0], [13]);
    const pp = r.perPatch ?? [];
    assert.equal(pp.length, 9);
    // heads hear band-limited audio; the AudioSet classes shown are YAMNet's on full band (as without heads)
    const [first] = await withHeads.analyzePatches([withHeads.patchOf(window)]);
    assert.equal(pp[0].cry, Math.round(first.scores[20] * 1e6) / 1e6);
    const plain = await classify(example("baby_5000ms.wav"), true);
    assert.deepEqual(
      pp.map((p) => p.top.slice(0, 5)),
      (plain.perPatch ?? []).map((p) => p.top),
    );
    assert.deepEqual(r.cry.yamnet, plain.cry.yamnet);
    const weight = pp.reduce((a, p) => a + p.cry, 0);
    const expected = pp.reduce((a, p) => a + (p.cry * (p.reasons?.hungry ?? 0)) / weight, 0);
    assert.ok(Math.abs((r.reasons?.hungry ?? -1) - expected) < 1e-5);
    assert.ok(Math.abs((r.cry.heads ?? -1) - weight / 9) < 1e-5);
  } finally {
    withHeads.dispose();
  }
});
