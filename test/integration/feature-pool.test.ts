import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FeaturePool } from "../../src/dev/benchmark/feature-pool.js";
import { featureCacheFile, featureKey, foldFeatures } from "../../src/dev/benchmark/features.js";
import { listBenchClips } from "../../src/dev/benchmark/sources.js";
import { buildFoldStream, DEFAULT_STREAM, type FoldStream } from "../../src/dev/benchmark/streams.js";
import { loadCryHeads } from "../../src/inference/analyzer.js";
import type { CryHeads } from "../../src/inference/types.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "../../src/inference/yamnet.js";
import { PROJECT_ROOT } from "../../src/version.js";

// The benchmark's fold features computed in worker threads (real YAMNet, the committed heads) are the bytes the
// benchmark computes in its own thread.

const HEADS_DIR = join(PROJECT_ROOT, "models", "babymon-heads");
const dir = mkdtempSync(join(tmpdir(), "babymon-feature-pool-"));
let yamnet: YamnetModel;
let heads: CryHeads;

/** a short stream: one cry and two negatives of other sources, over the benchmark's background */
async function shortStream(fold: number): Promise<FoldStream> {
  const clips = listBenchClips();
  const cry = clips.find((c) => c.kind === "cry")!;
  const negatives = clips.filter((c) => c.kind !== "cry" && c.source !== cry.source).slice(0, 2);
  return buildFoldStream(fold, [cry, ...negatives], DEFAULT_STREAM);
}

before(async () => {
  yamnet = await YamnetModel.load(DEFAULT_YAMNET_DIR, { backend: "wasm" });
  heads = await loadCryHeads(HEADS_DIR, yamnet.manifest.source.sha256);
});
after(() => {
  yamnet.dispose();
  heads.dispose?.();
  rmSync(dir, { recursive: true, force: true });
});

test("features from two worker threads are byte-identical to those computed in this thread", async () => {
  const models = { yamnet, heads, hopSec: 0.48, cacheDir: join(dir, "here") };
  const streams = [await shortStream(0), await shortStream(1)];
  const here = [];
  for (const s of streams) {
    await foldFeatures({ ...s, samples: s.samples.slice() }, models);
    const { samples: _, ...info } = s;
    here.push(featureCacheFile(info, featureKey(models)));
  }
  const key = { ...featureKey(models), cacheDir: join(dir, "workers") };
  const pool = new FeaturePool({
    threads: 2,
    yamnetDir: DEFAULT_YAMNET_DIR,
    headsDir: HEADS_DIR,
    backend: "wasm",
    hopSec: 0.48,
  });
  const lines: string[] = [];
  const files = streams.map((s) => {
    const { samples: _, ...info } = s;
    return featureCacheFile(info, key);
  });
  try {
    await Promise.all(streams.map((s, i) => pool.compute(s, files[i], (l) => lines.push(l))));
  } finally {
    await pool.close();
  }
  assert.equal(streams[0].samples.length, 0, "the samples were moved to the worker, not copied");
  for (const [i, f] of files.entries()) {
    const a = readFileSync(here[i]);
    const b = readFileSync(f);
    assert.ok(a.length > 4 * 2049 * 20, `expected a stream of over 20 windows, got ${a.length} bytes`);
    assert.ok(a.equals(b), `fold ${i}: the worker's features differ from this thread's`);
  }
  assert.equal(lines.filter((l) => /through YAMNet ×2/.test(l)).length, 2, lines.join("\n"));
});

test("a worker that cannot load YAMNet fails the computation with the folder named, and writes no cache", async () => {
  const stream = await shortStream(2);
  const { samples: _, ...info } = stream;
  const file = featureCacheFile(info, { yamnetSha256: "x", headsVersion: null, hopSec: 0.48, cacheDir: dir });
  const missing = join(dir, "no-yamnet");
  const pool = new FeaturePool({
    threads: 2,
    yamnetDir: missing,
    headsDir: null,
    backend: "wasm",
    hopSec: 0.48,
  });
  try {
    await assert.rejects(pool.compute(stream, file), (err: Error) => err.message.includes(missing));
  } finally {
    await pool.close();
  }
  assert.throws(() => readFileSync(file), /ENOENT/);
});
