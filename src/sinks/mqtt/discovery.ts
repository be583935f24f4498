import { REASONS } from "../../events.js";
import { learningEntities } from "../../learning/mqtt-entities.js";
import type { MqttTopics } from "./topics.js";

/**
 * Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery), laid out
 * like zigbee2mqtt: one config topic per entity under <prefix>/<component>/<device_id>/<object_id>/config,
 * every entity bound to one device block and to the daemon's availability topic. Published retained at QoS 1.
 */
export interface DiscoveryContext {
  deviceId: string;
  deviceName: string;
  swVersion: string;
  /** e.g. the board model from /proc/device-tree/model, when known */
  hwVersion?: string;
  topics: MqttTopics;
}

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

export const CRY_EVENT_TYPES = [...REASONS, "unsure"] as const;
export const CAPTURE_STATES = ["online", "stalled", "offline"] as const;

const SUPPORT_URL = "https://github.com/babymon/babymon";

export function buildDiscoveryMessages(ctx: DiscoveryContext): DiscoveryMessage[] {
  const { deviceId, topics } = ctx;
  const device = {
    identifiers: [`babymon_${deviceId}`],
    name: ctx.deviceName,
    manufacturer: "babymon",
    model: "babymon cry detector (YAMNet)",
    sw_version: ctx.swVersion,
    ...(ctx.hwVersion ? { hw_version: ctx.hwVersion } : {}),
  };
  const common = {
    availability: [{ topic: topics.availability }],
    device,
    origin: { name: "babymon", sw_version: ctx.swVersion, support_url: SUPPORT_URL },
    qos: 1,
  };
  const entity = (component: string, objectId: string, name: string, config: Record<string, unknown>) => ({
    topic: topics.discovery(component, objectId),
    payload: {
      name,
      unique_id: `babymon_${deviceId}_${objectId}`,
      default_entity_id: `${component}.babymon_${deviceId}_${objectId}`,
      ...common,
      ...config,
    },
  });
  const diagnostic = { entity_category: "diagnostic", state_topic: topics.health };

  const learning = learningEntities(topics.setFeedback, topics.health).map((e) =>
    entity(e.component, e.objectId, e.name, e.config),
  );
  return [
    entity("binary_sensor", "crying", "Crying", {
      device_class: "sound",
      state_topic: topics.state,
      value_template: "{{ 'ON' if value_json.crying else 'OFF' }}",
      json_attributes_topic: topics.state,
      icon: "mdi:emoticon-cry-outline",
    }),
    entity("event", "cry", "Cry", {
      state_topic: topics.cry,
      event_types: [...CRY_EVENT_TYPES],
      icon: "mdi:baby-face-outline",
    }),
    entity("sensor", "cry_reason", "Cry reason", {
      device_class: "enum",
      options: [...CRY_EVENT_TYPES],
      state_topic: topics.state,
      value_template: "{{ value_json.reason if value_json.reason else 'None' }}",
      icon: "mdi:head-question-outline",
    }),
    entity("sensor", "cry_confidence", "Cry confidence", {
      unit_of_measurement: "%",
      state_class: "measurement",
      state_topic: topics.state,
      value_template:
        "{{ (value_json.confidence * 100) | round(0) if value_json.confidence is not none else 'None' }}",
      icon: "mdi:percent",
    }),
    entity("sensor", "sound_level", "Sound level", {
      device_class: "sound_pressure",
      unit_of_measurement: "dB",
      state_class: "measurement",
      suggested_display_precision: 0,
      state_topic: topics.level,
    }),
    entity("switch", "detection", "Cry detection", {
      command_topic: topics.setDetection,
      state_topic: topics.state,
      value_template: "{{ 'ON' if value_json.detection_enabled else 'OFF' }}",
      payload_on: "ON",
      payload_off: "OFF",
      entity_category: "config",
      icon: "mdi:ear-hearing",
    }),
    entity("number", "sensitivity", "Sensitivity", {
      command_topic: topics.setSensitivity,
      state_topic: topics.state,
      value_template: "{{ (value_json.sensitivity * 100) | round(0) }}",
      min: 0,
      max: 100,
      step: 5,
      mode: "slider",
      unit_of_measurement: "%",
      entity_category: "config",
      icon: "mdi:tune-vertical",
    }),
    entity("sensor", "inference_ms", "Inference time per window", {
      ...diagnostic,
      unit_of_measurement: "ms",
      state_class: "measurement",
      suggested_display_precision: 1,
      value_template: "{{ value_json.inference_ms_per_window }}",
      icon: "mdi:timer-outline",
    }),
    entity("sensor", "dropped_windows", "Dropped windows", {
      ...diagnostic,
      state_class: "total_increasing",
      value_template: "{{ value_json.dropped_windows }}",
      icon: "mdi:debug-step-over",
    }),
    entity("sensor", "capture_status", "Capture status", {
      ...diagnostic,
      device_class: "enum",
      options: [...CAPTURE_STATES],
      value_template: "{{ value_json.capture }}",
      icon: "mdi:microphone",
    }),
    entity("sensor", "uptime", "Uptime", {
      ...diagnostic,
      device_class: "duration",
      unit_of_measurement: "s",
      state_class: "total_increasing",
      value_template: "{{ value_json.uptime_sec | round(0) }}",
      icon: "mdi:clock-outline",
    }),
    ...learning,
  ];
}
