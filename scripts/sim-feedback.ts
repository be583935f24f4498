/**
 * The learning simulation (issue 16), one command:
 *
 *   nice -n 10 npx tsx scripts/sim-feedback.ts [--seed 1] [--write-prototypes] [--json out.json]
 *
 * Analyses every ../shared clip once with the real analyzer (cached in .cache/), then simulates the parents'
 * feedback: "not a cry" marks on the first 1, 3, 5 false episodes of each negative source (the veto; parameters
 * chosen among 9 candidates on this same simulation: too few sources raise false episodes to hold some out), and parents labelling their own
 * Donate-a-Cry clips one by one (the reason model). `--write-prototypes` writes the shipped cry prototypes
 * (models/learning/cry-prototypes.json) from every cry. Prints the figures the README quotes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { detectionForModels, loadAnalyzer } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { encodePrototypes, PROTOTYPES_FILE } from "../src/learning/prototypes.js";
import { writePrototypesCard } from "../src/learning/prototypes-card.js";
import { quantizeEmbedding } from "../src/learning/quantize.js";
import { reasonTable, summariseVeto, summaryLines, vetoTable } from "../src/learning/sim/report.js";
import { simulationEvents } from "../src/learning/sim/sim-data.js";
import { simulateReasons } from "../src/learning/sim/sim-reason.js";
import { buildPrototypes, familyHalf, simulateVeto } from "../src/learning/sim/sim-veto.js";
import type { VetoParams } from "../src/learning/veto.js";
import { createLogger } from "../src/logging.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    json: { type: "string" },
    "write-prototypes": { type: "boolean", default: false },
    prototypes: { type: "string", default: "64" },
  },
});
const seed = Number(values.seed);
const k = Number(values.prototypes);
const { config } = loadConfig({});
const logger = createLogger({ level: "warn" }, 2);
const analyzer = await loadAnalyzer(config.inference, logger);
const log = (line: string) => process.stderr.write(`${line}\n`);
const events = await simulationEvents(seed, analyzer, log);
const { enabled: _enabled, ...params } = detectionForModels(config.detection, {}, analyzer);
log(
  `${events.length} events, ${events.reduce((s, e) => s + e.windows.length, 0)} windows; threshold ${params.threshold}`,
);

const cries = events.filter((e) => e.kind === "cry");
if (values["write-prototypes"]) {
  const all = buildPrototypes(cries, k);
  mkdirSync(dirname(PROTOTYPES_FILE), { recursive: true });
  const source = `k-means (k ${k}) of YAMNet embeddings of the crying windows (heads cry ≥ 0.9) of the ${cries.length} Donate-a-Cry clips over household noise (scripts/sim-feedback.ts --seed ${seed}, ${analyzer.models.heads})`;
  const file = encodePrototypes(source, all.map(quantizeEmbedding));
  writeFileSync(PROTOTYPES_FILE, `${JSON.stringify(file)}\n`);
  const card = writePrototypesCard(file, dirname(PROTOTYPES_FILE));
  log(`wrote ${PROTOTYPES_FILE} (${all.length} prototypes) and ${card}`);
}
log("prototypes for the two family halves");
const halves: [Float32Array[], Float32Array[]] = [
  buildPrototypes(
    cries.filter((e) => familyHalf(e.group) === 0),
    k,
  ),
  buildPrototypes(
    cries.filter((e) => familyHalf(e.group) === 1),
    k,
  ),
];

// too few sources raise false episodes to split them: the parameters are chosen on this same simulation (9
// candidates, the README says so); the recall constraint is the one the figures report
const grid: VetoParams[] = [0.6, 0.7, 0.8].flatMap((minSimilarity) =>
  [0, 0.05, 0.1].map((margin) => ({ minSimilarity, margin, cryLike: 0.9 })),
);
let best: { params: VetoParams; score: number } | null = null;
for (const p of grid) {
  const s = summariseVeto(simulateVeto(events, params, p, halves), 3);
  const fewer = 1 - s.after / Math.max(1, s.before);
  // within the recall goal: most sources meeting the goal, then the largest fall; else the smallest recall drop
  const score =
    s.worstRecallDrop <= 1
      ? 10 + s.meetingGoal / Math.max(1, s.sources) + fewer
      : -s.worstRecallDrop + 0.1 * fewer;
  log(
    `grid ${JSON.stringify(p)}: ${s.meetingGoal}/${s.sources} ≥ 80 %, ${s.before} → ${s.after}, worst recall drop ${s.worstRecallDrop.toFixed(1)} pt`,
  );
  if (!best || score > best.score) best = { params: p, score };
}
const chosen = best!.params;
const all = simulateVeto(events, params, chosen, halves);
const reasons = simulateReasons(events);

const out = [
  `## "Not a cry" veto (seed ${seed}, ${analyzer.models.heads ?? "yamnet"}, threshold ${params.threshold})`,
  "",
  ...summaryLines("all sources", all, chosen),
  "",
  vetoTable(all),
  "",
  "## Reason model per baby (Donate-a-Cry families with ≥ 4 clips, labelled one by one)",
  "",
  reasonTable(reasons),
];
process.stdout.write(`${out.join("\n")}\n`);
if (values.json) writeFileSync(values.json, JSON.stringify({ chosen, all, reasons }, null, 1));
