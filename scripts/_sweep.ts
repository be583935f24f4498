import { readFileSync } from "node:fs";
import { loadConfig } from "../src/config/load.js";
import { resolveDetection } from "../src/detection/episodes.js";
import { heldOutHalves } from "../src/dev/heldout-split.js";
import { buildMix, DEFAULT_MIX } from "../src/dev/mix.js";
import { episodesFor, type ScoredMixWindow, scoreMix } from "../src/dev/mix-eval.js";

const [headsDir, tag] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(`${headsDir}/manifest.json`, "utf8"));
const training = new Set<string>(manifest.training.files.map((f: { file: string }) => f.file));
const [A, B] = heldOutHalves(training);
const { config } = loadConfig({ env: {}, overrides: {} });
const params = resolveDetection(config.detection, "heads");
for (const [half, seeds] of [
  ["a", [1, 3]],
  ["b", [4, 2]],
] as const) {
  const sets = [];
  for (const seed of seeds) {
    const exclude = new Set(training);
    for (const f of half === "a" ? B : A) exclude.add(f);
    const mix = await buildMix({ ...DEFAULT_MIX, seed, minutes: 60, exclude });
    const w: ScoredMixWindow[] = JSON.parse(
      readFileSync(
        `.cache/mix-scores-s${seed}-m60-x${exclude.size}-half${half}-${tag}-h0.48-v2.json`,
        "utf8",
      ),
    );
    sets.push({ mix, w });
  }
  for (const t of [0.9, 0.95, 0.97, 0.977, 0.98, 0.985, 0.99, 0.995]) {
    let found = 0,
      cries = 0,
      fe = 0,
      h = 0;
    for (const s of sets) {
      const r = scoreMix(
        episodesFor(s.w, { ...params, threshold: t }),
        s.mix.events,
        s.mix.durationSec,
        s.mix.background,
      );
      found += r.found;
      cries += r.cries;
      fe += r.falseEpisodes;
      h += r.nonCryHours;
    }
    console.log(
      `half ${half} thr ${t}: recall ${((100 * found) / cries).toFixed(1)} %, false ${(fe / h).toFixed(1)}/h`,
    );
  }
}
