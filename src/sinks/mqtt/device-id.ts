import { readFileSync } from "node:fs";
import type { Logger } from "../../logging.js";
import { sha256Hex } from "../../util/sha256.js";
import { hostDeviceId, sanitiseDeviceId } from "./topics.js";

export const MACHINE_ID_PATH = "/etc/machine-id";

export interface DeviceIdOptions {
  /** `mqtt.deviceId`, when set. */
  configured?: string;
  /** Discovery topics an earlier run published (the settings store), to keep an existing install's id. */
  previousTopics: readonly string[];
  log: Logger;
  machineIdPath?: string;
  host?: string;
}

/**
 * The MQTT device id. Configured: that one. Otherwise the host name plus 6 hex digits of a hash of the machine id
 * (never the machine id itself, which systemd asks not to expose), so two hosts both called `raspberrypi` are two
 * devices in Home Assistant. An install whose discovery topics still carry the bare host name keeps it (its entities
 * and their history stay), with a warning; so does a machine without a readable machine id, with a louder one.
 */
export function resolveDeviceId(o: DeviceIdOptions): string {
  if (o.configured) return sanitiseDeviceId(o.configured);
  const host = o.host ? sanitiseDeviceId(o.host) : hostDeviceId();
  const legacy = o.previousTopics.some((t) => t.split("/").includes(host));
  if (legacy) {
    o.log.warn(
      { deviceId: host },
      `MQTT: keeping the device id "${host}" (the host name) that this install announced before; another host with ` +
        "the same name would merge with it in Home Assistant: set `mqtt.deviceId` to a name unique on your network",
    );
    return host;
  }
  const path = o.machineIdPath ?? MACHINE_ID_PATH;
  let machineId = "";
  let problem = "";
  try {
    machineId = readFileSync(path, "utf8").trim();
    if (!/^[0-9a-f]{32}$/i.test(machineId))
      problem = `expected 32 hex digits, got ${JSON.stringify(machineId.slice(0, 40))}`;
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem) {
    o.log.error(
      { path, deviceId: host },
      `MQTT: could not read the machine id from ${path} (${problem}); the device id falls back to the host name ` +
        `"${host}", and two hosts with that name merge into ONE Home Assistant device: set \`mqtt.deviceId\``,
    );
    return host;
  }
  return sanitiseDeviceId(`${host.slice(0, 57)}_${sha256Hex(`babymon:${machineId}`).slice(0, 6)}`);
}
