import type { Command } from "commander";
import { databasePath } from "../../app.js";
import { resolveDataDir } from "../../config/load.js";
import { databaseProblem } from "../../sinks/sqlite/database.js";
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
    if (loaded.config.storage.enabled) {
      // what `run` needs before it opens the database: fail here, not at start-up
      const path = databasePath(loaded.config, dataDir);
      const problem = databaseProblem(path);
      if (problem) {
        const key = loaded.config.storage.path ? "storage.path" : "dataDir";
        const from = loaded.origins[key] ? `${key} from ${loaded.origins[key]}` : `default ${key}`;
        process.stderr.write(`babymon: Cannot use the database ${path} (${from}): ${problem}\n`);
        process.exit(2);
      }
    }
    const lines = [
      `config OK${loaded.file ? ` (${loaded.file})` : " (built-in defaults)"}`,
      `data directory: ${dataDir}`,
      `database: ${loaded.config.storage.enabled ? databasePath(loaded.config, dataDir) : "off"}`,
      ...Object.entries(loaded.origins).map(([key, from]) => `  ${key} from ${from}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}
