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

export function defaultDeviceId(): string {
  return sanitiseDeviceId(hostname());
}

export interface MqttTopics {
  readonly root: string;
  readonly availability: string;
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
  readonly haStatus: string;
  discovery(component: string, objectId: string): string;
}

export function buildTopics(baseTopic: string, deviceId: string, discoveryPrefix: string): MqttTopics {
  const root = `${baseTopic}/${deviceId}`;
  return {
    root,
    availability: `${root}/availability`,
    state: `${root}/state`,
    event: `${root}/event`,
    cry: `${root}/cry`,
    level: `${root}/level`,
    health: `${root}/health`,
    setDetection: `${root}/set/detection`,
    setSensitivity: `${root}/set/sensitivity`,
    setFeedback: feedbackTopic(root),
    haStatus: `${discoveryPrefix}/status`,
    discovery: (component, objectId) => `${discoveryPrefix}/${component}/${deviceId}/${objectId}/config`,
  };
}
