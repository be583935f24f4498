import type { Command } from "commander";

/**
 * `babymon train-export [options]` — the same as `npm run train-export -- [options]` (src/train/main.ts).
 * The training stack (tfjs-layers, vega) is imported only when this command runs.
 */
export function register(program: Command): void {
  program
    .command("train-export")
    .description(
      "Train, evaluate (grouped CV + hold-out test) and export the cry/reason heads; --help for options",
    )
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument("[options...]")
    .action(async (args: string[]) => {
      const { trainExportCommand } = await import("../../train/main.js");
      await trainExportCommand().parseAsync(["node", "train-export", ...args]);
    });
}
