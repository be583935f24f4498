#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
import type { Command as CommandType } from "commander";
import { Command } from "commander";
import { readPackageVersion } from "../version.js";

interface CommandModule {
  register(program: CommandType): void;
}

/**
 * Entry point of the `babymon` command. Each sub-command lives in ./commands/<name>.ts, exports
 * `register(program)` and is listed here under the name it registers. Only the module of the command being run
 * is imported: `classify` should not pay for MQTT, SQLite and the daemon (about 40 MB of RSS on a Pi).
 */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  models: () => import("./commands/models.js"),
  classify: () => import("./commands/classify.js"),
  run: () => import("./commands/run.js"),
  detect: () => import("./commands/detect.js"),
  calibrate: () => import("./commands/calibrate.js"),
  history: () => import("./commands/history.js"),
  report: () => import("./commands/report.js"),
  feedback: () => import("./commands/feedback.js"),
  forget: () => import("./commands/forget.js"),
  "check-config": () => import("./commands/check-config.js"),
  devices: () => import("./commands/devices.js"),
  leds: () => import("./commands/leds.js"),
  "train-export": () => import("./commands/train-export.js"),
};

const program = new Command("babymon")
  .description(
    "Local-only baby-monitor: cry detection with YAMNet, reasons, MQTT/Home Assistant, GPIO, SQLite",
  )
  .version(readPackageVersion());

const asked = process.argv.slice(2).find((arg) => !arg.startsWith("-"));
const names = asked !== undefined && asked in COMMANDS ? [asked] : Object.keys(COMMANDS);
for (const name of names) (await COMMANDS[name]()).register(program);

await program.parseAsync(process.argv);
