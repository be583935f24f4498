import { readFileSync, statSync } from "node:fs";
import type { Logger } from "../../logging.js";
import type { MqttConfig } from "./config.js";

export interface PasswordSource {
  /** Where `mqtt.password` came from when it was set: a config file path, an env variable, "command line". */
  passwordOrigin?: string;
}

function readableByOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

/**
 * The broker password: `mqtt.password` (best from the environment, BABYMON_MQTT__PASSWORD) or the first line of
 * `mqtt.passwordFile`. Warns when the file holding it can be read by other users.
 */
export function resolveMqttPassword(
  config: Pick<MqttConfig, "password" | "passwordFile">,
  log: Logger,
  source: PasswordSource = {},
): string | undefined {
  if (config.password !== undefined) {
    const origin = source.passwordOrigin;
    if (origin && !origin.startsWith("BABYMON_") && origin !== "command line" && readableByOthers(origin)) {
      log.warn(
        { file: origin },
        `The config file ${origin} holds the MQTT password and is readable by other users: ` +
          "chmod 600 it, or move the password to mqtt.passwordFile or BABYMON_MQTT__PASSWORD",
      );
    }
    return config.password;
  }
  if (config.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.passwordFile, "utf8");
    } catch (error) {
      throw new Error(
        `Expected \`mqtt.passwordFile\` to be a readable file, got ${config.passwordFile} (${(error as Error).message})`,
      );
    }
    if (readableByOthers(config.passwordFile)) {
      log.warn(
        { file: config.passwordFile },
        `The MQTT password file ${config.passwordFile} is readable by other users: chmod 600 it`,
      );
    }
    return text.split(/\r?\n/)[0];
  }
  return undefined;
}
