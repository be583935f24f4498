import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import { redactUrl } from "../../logging.js";
import type { MqttConfig } from "./config.js";

/** Human-readable reasons for the MQTT 3.1.1 and 5 CONNACK refusal codes users actually hit. */
const CONNACK_HINTS: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client id rejected (check mqtt.clientId)",
  3: "server unavailable",
  4: "bad user name or password (check mqtt.username and the password)",
  5: "not authorised (check mqtt.username, the password and the broker's ACL)",
  133: "client id rejected (check mqtt.clientId)",
  134: "bad user name or password (check mqtt.username and the password)",
  135: "not authorised (check mqtt.username, the password and the broker's ACL)",
};

/**
 * The mqtt.js client options from the `mqtt` slice: a clean MQTT 3.1.1 session that reconnects every
 * `reconnectSec` and leaves "offline" on `willTopic` when the daemon dies. Reads the TLS files (throws naming
 * the key and file when one cannot be read).
 */
export function clientOptions(
  config: MqttConfig,
  o: { clientId: string; password: string | undefined; willTopic: string },
): IClientOptions {
  return {
    clientId: o.clientId,
    username: config.username,
    password: o.password,
    keepalive: config.keepaliveSec,
    reconnectPeriod: Math.round(config.reconnectSec * 1000),
    connectTimeout: 10_000,
    reconnectOnConnackError: true,
    protocolVersion: 4,
    clean: true,
    will: { topic: o.willTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
    rejectUnauthorized: config.tls.rejectUnauthorized,
    ...(config.tls.ca ? { ca: readPem("mqtt.tls.ca", config.tls.ca) } : {}),
    ...(config.tls.cert ? { cert: readPem("mqtt.tls.cert", config.tls.cert) } : {}),
    ...(config.tls.key ? { key: readPem("mqtt.tls.key", config.tls.key) } : {}),
  };
}

/**
 * The start-up warning for `mqtt.tls.rejectUnauthorized: false` (null when the certificate is checked):
 * logged at every start, because it silently turns off what TLS is for.
 */
export function insecureTlsWarning(
  config: Pick<MqttConfig, "url" | "tls">,
  origin: string | undefined,
): string | null {
  if (config.tls.rejectUnauthorized) return null;
  const broker = config.url ? redactUrl(config.url) : "the embedded broker";
  const tls = config.url !== undefined && /^(mqtts|tls|ssl|wss):/.test(config.url);
  return (
    `MQTT: mqtt.tls.rejectUnauthorized is false (from ${origin ?? "the config"}): the broker's TLS certificate ` +
    `is not checked, so anyone on the network path to ${broker} can pose as the broker, read the alerts and ` +
    "send commands" +
    (tls ? "" : " (it has no effect on this non-TLS URL, but would as soon as the URL uses TLS)") +
    "; set mqtt.tls.ca to the broker's CA certificate and remove rejectUnauthorized"
  );
}

/** The log line for a client error: the broker's refusal in words when it gave a CONNACK code. */
export function connectionErrorText(
  error: Error & { code?: number | string },
  url: string,
  reconnectSec: number,
): string {
  const code = typeof error.code === "number" ? error.code : undefined;
  const hint = code !== undefined ? CONNACK_HINTS[code] : undefined;
  return hint
    ? `MQTT: the broker ${redactUrl(url)} refused the connection: ${hint}; retrying every ${reconnectSec} s`
    : `MQTT: ${error.message} (broker ${redactUrl(url)}); retrying every ${reconnectSec} s`;
}

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(
      `Expected \`${key}\` to be a readable PEM file, got ${path} (${(error as Error).message})`,
    );
  }
}
