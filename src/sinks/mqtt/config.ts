import { z } from "zod";

/**
 * The `mqtt` slice of the daemon's config. Without `url`, `babymon run` starts an embedded broker bound to
 * 127.0.0.1 (unless `embeddedBroker.enabled` is false); a configured `url` always wins.
 */
export const mqttConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    url: z
      .string()
      .regex(
        /^(mqtts?|tcp|tls|ssl|wss?):\/\/[^\s]+$/,
        "a broker URL with a host: mqtt://host:1883, mqtts://host:8883, ws://host:8080/mqtt or wss://host/mqtt (also tcp://, tls://, ssl://)",
      )
      .optional(),
    username: z.string().min(1).optional(),
    /**
     * Prefer the environment (`BABYMON_MQTT__PASSWORD`) or `passwordFile`; a password written in a config file
     * that others can read is warned about at start-up.
     */
    password: z.string().optional(),
    /** A file whose first line is the password (e.g. /etc/babymon/mqtt-password, mode 0600). */
    passwordFile: z.string().min(1).optional(),
    tls: z
      .object({
        /** PEM file of the CA that signed the broker's certificate. */
        ca: z.string().min(1).optional(),
        /** PEM client certificate and key for mutual TLS. */
        cert: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Default: babymon-<deviceId>. */
    clientId: z.string().min(1).max(64).optional(),
    keepaliveSec: z.number().int().min(5).max(3600).default(30),
    reconnectSec: z.number().min(0.2).max(300).default(3),
    /**
     * Default: the host name plus a short hash of /etc/machine-id (two hosts both named raspberrypi stay two
     * devices in Home Assistant); an install that already announced itself under the bare host name keeps it.
     */
    deviceId: z.string().min(1).max(64).optional(),
    deviceName: z.string().min(1).default("Baby monitor"),
    baseTopic: z
      .string()
      .regex(/^[^#+\s]+$/, "a topic prefix without wildcards or spaces")
      .default("babymon"),
    discovery: z
      .object({
        enabled: z.boolean().default(true),
        prefix: z
          .string()
          .regex(/^[^#+\s]+$/, "a topic prefix without wildcards or spaces")
          .default("homeassistant"),
        /**
         * `device`: one retained `<prefix>/device/<deviceId>/config` holding every entity (Home Assistant ≥ 2024.11);
         * `entity`: one config topic per entity, for older Home Assistant. Switching migrates the entities.
         */
        mode: z.enum(["device", "entity"]).default("device"),
        /** Home Assistant's birth messages (`homeassistant/status` → online) within this window cause one re-publish. */
        republishDelaySec: z.number().min(0).max(60).default(1),
      })
      .strict()
      .prefault({}),
    /** Minimum seconds between two `level` messages; a level equal to the last one sent is not sent again. */
    levelIntervalSec: z.number().min(0.5).max(3600).default(30),
    /** Outbox rows older than this are dropped (oldest first) when the broker stays away for very long. */
    outboxMaxRows: z.number().int().min(100).max(1_000_000).default(10_000),
    embeddedBroker: z
      .object({
        enabled: z.boolean().default(true),
        port: z.number().int().min(0).max(65535).default(1883),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((c) => !(c.tls.cert && !c.tls.key) && !(c.tls.key && !c.tls.cert), {
    message: "Expected `mqtt.tls.cert` and `mqtt.tls.key` to be given together",
    path: ["tls"],
  });

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
