import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { feedbackHandlerFor } from "../../learning/feedback-command.js";
import { readPackageVersion } from "../../version.js";
import { webPageUrl } from "../../web/url.js";
import type { SinkFactory } from "../sink.js";
import { migrate, SqliteSettingsStore } from "../sqlite/database.js";
import { brokerCredentialsPath } from "./broker-credentials.js";
import { insecureTlsWarning } from "./connection.js";
import { resolveDeviceId } from "./device-id.js";
import { rememberedDiscoveryTopics } from "./discovery-publisher.js";
import { EmbeddedBroker } from "./embedded-broker.js";
import { MqttSink } from "./mqtt-sink.js";
import { MqttOutbox } from "./outbox.js";
import { resolveMqttPassword } from "./secrets.js";

/** e.g. "Raspberry Pi 5 Model B Rev 1.0" or "NVIDIA Jetson Orin Nano Developer Kit", when the board says. */
export function boardModel(path = "/proc/device-tree/model"): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, "utf8").replace(/\0/g, "").trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The MQTT sink from the `mqtt` slice: the configured broker, or (no `url`) an embedded broker on 127.0.0.1.
 * The outbox lives in the daemon's database; with storage turned off it falls back to memory (not durable).
 */
export const mqttSinkFactory: SinkFactory = (ctx) => {
  const config = ctx.config.mqtt;
  if (!config.enabled) return null;
  const log = ctx.logger.child({ sink: "mqtt" });
  let database = ctx.database;
  if (!database) {
    log.warn(
      "MQTT: no database (storage disabled, or its disk full at start), so the outbox is in memory: events queued while the broker is away are lost on restart",
    );
    database = new Database(":memory:");
    migrate(database);
  }
  const settings = new SqliteSettingsStore(database);
  let embeddedBroker: EmbeddedBroker | undefined;
  if (!config.url) {
    if (!config.embeddedBroker.enabled) {
      log.info("MQTT: no broker configured (mqtt.url) and the embedded broker is off; MQTT is off");
      return null;
    }
    embeddedBroker = new EmbeddedBroker(config.embeddedBroker.port, log, brokerCredentialsPath(ctx.dataDir));
  }
  const insecure = insecureTlsWarning(config, ctx.configOrigins["mqtt.tls.rejectUnauthorized"]);
  if (insecure) log.warn({ key: "mqtt.tls.rejectUnauthorized", value: false }, insecure);
  ctx.faults.set("broker", true);
  return new MqttSink({
    config,
    url: config.url,
    embeddedBroker,
    password: () => resolveMqttPassword(config, log, { passwordOrigin: ctx.configOrigins["mqtt.password"] }),
    deviceId: resolveDeviceId({
      configured: config.deviceId,
      previousTopics: rememberedDiscoveryTopics(settings),
      log,
    }),
    swVersion: readPackageVersion(),
    hwVersion: boardModel(),
    configurationUrl: webPageUrl(ctx.config.web) ?? undefined,
    outbox: new MqttOutbox(database, config.outboxMaxRows),
    settings,
    control: ctx.control,
    feedback: feedbackHandlerFor(ctx),
    health: ctx.health,
    log,
    onConnectionChange: (connected) => ctx.faults.set("broker", !connected),
  });
};
