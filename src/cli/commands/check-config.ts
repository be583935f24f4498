import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import type { Command } from "commander";
import { databasePath } from "../../app.js";
import { type LoadedConfig, resolveDataDir } from "../../config/load.js";
import { createLogger, redactUrl } from "../../logging.js";
import {
  brokerCredentialsPath,
  NoBrokerCredentialsError,
  readBrokerCredentials,
} from "../../sinks/mqtt/broker-credentials.js";
import { resolveDeviceId } from "../../sinks/mqtt/device-id.js";
import { rememberedDiscoveryTopics } from "../../sinks/mqtt/discovery-publisher.js";
import { buildTopics } from "../../sinks/mqtt/topics.js";
import { databaseProblem, SqliteSettingsStore } from "../../sinks/sqlite/database.js";
import { loadConfigOrExit, printConfig, SHOW_SECRETS_FLAG, withConfigOption } from "../config-options.js";

export function register(program: Command): void {
  withConfigOption(
    program
      .command("check-config")
      .description("validate the configuration (file + BABYMON_… environment) and say where the data goes")
      .option("--print-config", "print the effective configuration as YAML")
      .option(...SHOW_SECRETS_FLAG)
      .option(
        "--show-mqtt-credentials",
        "print the embedded MQTT broker's login (user, password, host:port) with mosquitto_sub/pub examples",
      ),
  ).action(
    (opts: {
      config?: string;
      printConfig?: boolean;
      showSecrets?: boolean;
      showMqttCredentials?: boolean;
    }) => {
      const loaded = loadConfigOrExit(opts.config);
      if (opts.printConfig) {
        printConfig(loaded, opts.showSecrets);
        return;
      }
      if (opts.showMqttCredentials) {
        showMqttCredentials(loaded);
        return;
      }
      checkConfig(loaded);
    },
  );
}

/**
 * The embedded broker's login as the daemon generated it, for Home Assistant or mosquitto_sub. Only read: the
 * file is written by the daemon (as its own user) at its first start, never here.
 */
function showMqttCredentials(loaded: LoadedConfig): void {
  const { mqtt } = loaded.config;
  const fail = (why: string): never => {
    process.stderr.write(`babymon: ${why}\n`);
    process.exit(1);
  };
  const from = (key: string) => (loaded.origins[key] ? ` (from ${loaded.origins[key]})` : "");
  if (!mqtt.enabled)
    fail(`MQTT is off (mqtt.enabled: false${from("mqtt.enabled")}): there is no broker login`);
  if (mqtt.url) {
    fail(
      `mqtt.url is set to ${redactUrl(mqtt.url)}${from("mqtt.url")}: babymon uses that broker, whose users are ` +
        "configured there (mqtt.username and the password); the embedded broker does not run",
    );
  }
  if (!mqtt.embeddedBroker.enabled) {
    fail(
      `the embedded broker is off (mqtt.embeddedBroker.enabled: false${from("mqtt.embeddedBroker.enabled")})`,
    );
  }
  const path = brokerCredentialsPath(resolveDataDir(loaded.config));
  let login: ReturnType<typeof readBrokerCredentials> | undefined;
  try {
    login = readBrokerCredentials(path);
  } catch (error) {
    // run as another user than the service's, the data directory is that user's: say which one was looked at
    const dataDir = loaded.origins.dataDir ? `dataDir from ${loaded.origins.dataDir}` : "the default dataDir";
    const hint =
      error instanceof NoBrokerCredentialsError
        ? ` (\`babymon run\`, or systemctl start babymon); this looked in ${dataDir}: for the service's, ` +
          "run this as its user with its config (sudo -u babymon babymon check-config -c /etc/babymon/babymon.yaml …)"
        : "";
    fail(`${(error as Error).message}${hint}`);
  }
  if (!login) return;
  const port = mqtt.embeddedBroker.port;
  const deviceId = resolveDeviceId({
    configured: mqtt.deviceId,
    previousTopics: storedDiscoveryTopics(databasePath(loaded.config, resolveDataDir(loaded.config))),
    log: createLogger({ level: "warn" }, 2),
  });
  const topics = buildTopics(mqtt.baseTopic, deviceId, mqtt.discovery.prefix);
  const auth = `-h 127.0.0.1 -p ${port} -u '${login.username}' -P '${login.password}'`;
  const lines = [
    `embedded MQTT broker login (${path}, generated ${login.created}):`,
    `  host:     127.0.0.1${port === 0 ? " (port 0: a random port at each start, see the daemon's log)" : ""}`,
    `  port:     ${port}`,
    `  username: ${login.username}`,
    `  password: ${login.password}`,
    "watch everything:",
    `  mosquitto_sub ${auth} -t '${topics.root}/#' -v`,
    "switch detection on:",
    `  mosquitto_pub ${auth} -t '${topics.setDetection}' -m ON`,
    "(-P is visible to other local users in `ps` while the command runs; for repeated use, put the -u and -P",
    " lines into ~/.config/mosquitto_sub and ~/.config/mosquitto_pub with mode 600 instead)",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

function checkConfig(loaded: LoadedConfig): void {
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
}

/** The discovery topics the daemon stored (they decide an existing install's device id), read-only; none without a database. */
function storedDiscoveryTopics(path: string): string[] {
  if (!existsSync(path)) return [];
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return rememberedDiscoveryTopics(new SqliteSettingsStore(db));
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
}
