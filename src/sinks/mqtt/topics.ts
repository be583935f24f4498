import { hostname } from "node:os";
import { feedbackTopic } from "../../learning/mqtt-entities.js";

/** Lower-case, [a-z0-9_-] only, at most 64 characters: safe as an MQTT topic level and an HA object id. */
export function sanitiseDeviceId(raw: string): string {
  const id = raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^[_-]+|[_-]+$/g, "")
    .slice(0, 64);
  return id.length > 0 ? id : "babymon";
}

/** The host name as a device id: what babymon used by default before the machine id was part of it. */
export function hostDeviceId(): string {
  return sanitiseDeviceId(hostname());
}

/** Home Assistant's birth topic is `homeassistant/status` whatever the discovery prefix (HA's DEFAULT_BIRTH_WILL_TOPIC). */
export const HA_BIRTH_TOPIC = "homeassistant/status";

export interface MqttTopics {
  readonly root: string;
  readonly availability: string;
  /** `online` while audio capture is online, else `offline`: the crying entities are unavailable without it. */
  readonly captureAvailability: string;
  readonly state: string;
  readonly event: string;
  /** Only the final reason of each episode, shaped for HA's `event` entity (`event_type` + attributes). */
  readonly cry: string;
  readonly level: string;
  readonly health: string;
  readonly setDetection: string;
  readonly setSensitivity: string;
  /** feedback on an episode (src/learning/feedback-command.ts) */
  readonly setFeedback: string;
  /** Where Home Assistant announces itself: the fixed birth topic, and `<prefix>/status` when the prefix differs. */
  readonly haStatus: readonly string[];
  /** The device-based discovery topic (Home Assistant ≥ 2024.11). */
  readonly deviceDiscovery: string;
  /** A per-entity discovery topic (older Home Assistant, and the topics a migration clears). */
  discovery(component: string, objectId: string): string;
}

export function buildTopics(baseTopic: string, deviceId: string, discoveryPrefix: string): MqttTopics {
  const root = `${baseTopic}/${deviceId}`;
  const prefixStatus = `${discoveryPrefix}/status`;
  return {
    root,
    availability: `${root}/availability`,
    captureAvailability: `${root}/capture/availability`,
    state: `${root}/state`,
    event: `${root}/event`,
    cry: `${root}/cry`,
    level: `${root}/level`,
    health: `${root}/health`,
    setDetection: `${root}/set/detection`,
    setSensitivity: `${root}/set/sensitivity`,
    setFeedback: feedbackTopic(root),
    haStatus: prefixStatus === HA_BIRTH_TOPIC ? [HA_BIRTH_TOPIC] : [HA_BIRTH_TOPIC, prefixStatus],
    deviceDiscovery: `${discoveryPrefix}/device/${deviceId}/config`,
    discovery: (component, objectId) => `${discoveryPrefix}/${component}/${deviceId}/${objectId}/config`,
  };
}
