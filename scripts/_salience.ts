import { readFileSync } from "node:fs";
import { heldOutHalves } from "../src/dev/heldout-split.js";
import { buildMix, DEFAULT_MIX } from "../src/dev/mix.js";
import { episodesFor, scoreMix, type ScoredMixWindow } from "../src/dev/mix-eval.js";
import { loadConfig } from "../src/config/load.js";
import { resolveDetection } from "../src/detection/episodes.js";
const [headsDir, tag, thrArg] = process.argv.slice(2);
const thr = Number(thrArg);
const manifest = JSON.parse(readFileSync(`${headsDir}/manifest.json`, "utf8"));
const training = new Set<string>(manifest.training.files.map((f: { file: string }) => f.file));
const [A, B] = heldOutHalves(training);
const { config } = loadConfig({ env: {}, overrides: {} });
const params = { ...resolveDetection(config.detection, "heads"), threshold: thr };
for (const [half, seeds] of [["a", [1, 3]], ["b", [4, 2]]] as const) {
  for (const seed of seeds) {
    const exclude = new Set(training);
    for (const f of half === "a" ? B : A) exclude.add(f);
    const mix = await buildMix({ ...DEFAULT_MIX, seed, minutes: 60, exclude });
    const w: ScoredMixWindow[] = JSON.parse(readFileSync(`.cache/mix-scores-s${seed}-m60-x${exclude.size}-half${half}-${tag}-h0.48-v2.json`, "utf8"));
    const eps = episodesFor(w, params);
    const cries = mix.events.filter((e) => e.kind === "cry");
    for (const ep of eps) {
      const i = w.findIndex((x) => x.endSec >= ep.detected - 1e-6);
      const lv = w.slice(Math.max(0, i - 3), i + 1).map((x) => x.levelDbfs);
      const floor = Math.min(...w.slice(Math.max(0, i - 25), i + 1).map((x) => x.levelDbfs));
      const cry = cries.find((c) => ep.detected >= c.start && ep.detected <= c.end + 3);
      const bg = mix.background.find((b) => b.start <= ep.detected && b.end > ep.detected);
      const ev = mix.events.find((e) => e.kind !== "cry" && e.start <= ep.detected && e.end >= ep.detected - 1);
      console.log(`${half} ${seed} ${cry ? `CRY snr${cry.snrDb}` : `FALSE ${ev ? ev.kind + ":" + ev.label : "bg:" + bg?.label}`} maxlv ${Math.max(...lv).toFixed(1)} floor12s ${floor.toFixed(1)} sal ${(Math.max(...lv) - floor).toFixed(1)} bg ${bg?.label}@${bg?.levelDbfs.toFixed(0)}`);
    }
  }
}
