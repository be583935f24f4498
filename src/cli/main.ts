#!/usr/bin/env node
import { Command } from "commander";
import { readPackageVersion } from "../version.js";
import * as checkConfig from "./commands/check-config.js";
import * as classify from "./commands/classify.js";
import * as detect from "./commands/detect.js";
import * as devices from "./commands/devices.js";
import * as history from "./commands/history.js";
import * as leds from "./commands/leds.js";
import * as models from "./commands/models.js";
import * as run from "./commands/run.js";
import * as trainExport from "./commands/train-export.js";

/**
 * Entry point of the `babymon` command. Each sub-command lives in ./commands/<name>.ts and exports
 * `register(program)`; add it to the list below.
 */
const program = new Command("babymon")
  .description(
    "Local-only baby-monitor: cry detection with YAMNet, reasons, MQTT/Home Assistant, GPIO, SQLite",
  )
  .version(readPackageVersion());

const commands: Array<{ register(program: Command): void }> = [
  models,
  classify,
  run,
  detect,
  history,
  checkConfig,
  devices,
  leds,
  trainExport,
];
for (const command of commands) command.register(program);

await program.parseAsync(process.argv);
