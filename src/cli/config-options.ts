import type { Command } from "commander";
import YAML from "yaml";
import { ConfigError, type LoadedConfig, loadConfig } from "../config/load.js";
import { redactSecrets } from "../config/redact.js";

/** Adds `--config FILE` (default $BABYMON_CONFIG) to a command. */
export function withConfigOption(command: Command): Command {
  return command.option(
    "-c, --config <file>",
    "YAML config file (default: $BABYMON_CONFIG, else built-in defaults)",
  );
}

/** The config file a command uses: its `--config FILE`, else $BABYMON_CONFIG, else none (built-in defaults). */
export function configFileOf(flag: string | undefined): string | null {
  return flag ?? process.env.BABYMON_CONFIG ?? null;
}

/**
 * Loads and validates the config of `--config` (`flag`, through configFileOf; null: no file at all), or prints
 * what is wrong (key, value, what is allowed) and exits with code 2.
 */
export function loadConfigOrExit(
  flag: string | null | undefined,
  overrides: Record<string, unknown> = {},
): LoadedConfig {
  try {
    const file = flag === null ? null : configFileOf(flag);
    const fileOrigin = flag ? "--config" : "BABYMON_CONFIG";
    return loadConfig({ file, fileOrigin, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`babymon: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** `--show-secrets`, next to `--print-config`. */
export const SHOW_SECRETS_FLAG = [
  "--show-secrets",
  "with --print-config: print passwords (mqtt.password, credentials in URLs) instead of ***",
] as const;

/** Prints the effective config as YAML; passwords are shown as *** unless `showSecrets`. */
export function printConfig(loaded: LoadedConfig, showSecrets = false): void {
  process.stdout.write(YAML.stringify(showSecrets ? loaded.config : redactSecrets(loaded.config)));
}
