import type { Command } from "commander";
import { databasePath } from "../../app.js";
import { resolveDataDir } from "../../config/load.js";
import { loadConfigOrExit, printConfig, SHOW_SECRETS_FLAG, withConfigOption } from "../config-options.js";

export function register(program: Command): void {
  withConfigOption(
    program
      .command("check-config")
      .description("validate the configuration (file + BABYMON_… environment) and say where the data goes")
      .option("--print-config", "print the effective configuration as YAML")
      .option(...SHOW_SECRETS_FLAG),
  ).action((opts: { config?: string; printConfig?: boolean; showSecrets?: boolean }) => {
    const loaded = loadConfigOrExit(opts.config);
    if (opts.printConfig) {
      printConfig(loaded, opts.showSecrets);
      return;
    }
    const dataDir = resolveDataDir(loaded.config);
    const lines = [
      `config OK${loaded.file ? ` (${loaded.file})` : " (built-in defaults)"}`,
      `data directory: ${dataDir}`,
      `database: ${loaded.config.storage.enabled ? databasePath(loaded.config, dataDir) : "off"}`,
      ...Object.entries(loaded.origins).map(([key, from]) => `  ${key} from ${from}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}
