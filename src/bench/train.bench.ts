import { existsSync } from "node:fs";
import { join } from "node:path";
import { selectBackend } from "../inference/backend.js";
import { loadHeads } from "../inference/heads.js";
import type { YamnetOutput } from "../inference/types.js";
import { readManifest } from "../inference/yamnet-store.js";
import { PROJECT_ROOT } from "../version.js";

/** Trained heads: load time and ms per window (batch 1 and 8) on the active backend. */
export async function run(_args: string[]): Promise<void> {
  const dir = join(PROJECT_ROOT, "models", "babymon-heads");
  const yamnet = readManifest(join(PROJECT_ROOT, "models", "yamnet"));
  if (!existsSync(join(dir, "manifest.json")) || !yamnet) {
    console.log(
      "heads: models/babymon-heads or models/yamnet missing (npm run models; npm run train-export)",
    );
    return;
  }
  const backend = await selectBackend("auto");
  const t0 = performance.now();
  const heads = await loadHeads(dir, yamnet.source.sha256);
  const loadMs = performance.now() - t0;
  const layer = heads.featureLayers[0];
  const [h, w, c] = heads.manifest.featureShape ?? [1, 1, 1];
  const output = (): YamnetOutput => ({
    scores: new Float32Array(521),
    embedding: Float32Array.from({ length: 1024 }, () => Math.random()),
    featureMaps: {
      [layer]: { data: Float32Array.from({ length: h * w * c }, () => Math.random()), shape: [h, w, c] },
    },
  });
  const lines = [`heads ${heads.version} on ${backend.description}: load ${loadMs.toFixed(0)} ms`];
  for (const batch of [1, 8]) {
    const outputs = Array.from({ length: batch }, output);
    heads.predict(outputs);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      heads.predict(outputs);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    lines.push(`  batch ${batch}: median ${(times[15] / batch).toFixed(2)} ms per window`);
  }
  heads.dispose();
  console.log(lines.join("\n"));
}
