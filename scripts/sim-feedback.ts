/**
 * The learning simulation (issue 16), one command: `npx tsx scripts/sim-feedback.ts [--seed 1] [--json out.json]`.
 * Analyses every ../shared clip once (cached in .cache/), then simulates parents' feedback: "not a cry" marks on
 * the false episodes of each negative source (veto), and parents labelling their own Donate-a-Cry clips one by
 * one (reason model). Prints the figures the README quotes.
 */
import { parseArgs } from "node:util";
import { loadAnalyzer } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { simulationEvents } from "../src/learning/sim/sim-data.js";
import { createLogger } from "../src/logging.js";

const { values } = parseArgs({ options: { seed: { type: "string", default: "1" }, json: { type: "string" } } });
const seed = Number(values.seed);
const { config } = loadConfig({});
const logger = createLogger({ level: "warn" }, 2);
const analyzer = await loadAnalyzer(config.inference, logger);
const log = (line: string) => process.stderr.write(`${line}\n`);
const events = await simulationEvents(seed, analyzer, log);
log(`${events.length} events, ${events.reduce((s, e) => s + e.windows.length, 0)} windows`);
