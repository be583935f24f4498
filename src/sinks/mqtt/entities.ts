import { REASONS } from "../../events.js";
import { LEARNING_ENTITIES } from "../../learning/mqtt-entities.js";
import type { MqttTopics } from "./topics.js";

export const CRY_EVENT_TYPES = [...REASONS, "unsure"] as const;
export const CAPTURE_STATES = ["online", "stalled", "offline"] as const;

/**
 * One Home Assistant entity (or device trigger) babymon announces. The list below is the whole of babymon's
 * discovery: adding an entity is adding one entry; discovery.ts turns the list into per-entity or device-based
 * config messages and adds name, ids, device, origin, availability and QoS.
 */
export interface EntitySpec {
  /** HA's platform: `sensor`, `binary_sensor`, … or `device_automation` for a device trigger. */
  component: string;
  /** Unique within the device; part of unique_id and the topic, so never renamed (HA would see a new entity). */
  objectId: string;
  /** Display name; device triggers have none. */
  name?: string;
  /** Listens to audio: unavailable in HA while capture is down (availability_mode all with the capture topic). */
  needsCapture?: boolean;
  config(topics: MqttTopics): Record<string, unknown>;
}

const diagnostic = (t: MqttTopics) => ({ entity_category: "diagnostic", state_topic: t.health });
const none = (field: string) => `{{ value_json.${field} if value_json.${field} is not none else 'None' }}`;

/** The episode fields shown as attributes of "Crying" (not the whole state JSON). */
const EPISODE_ATTRIBUTES =
  "{{ {'reason': value_json.reason, 'confidence': value_json.confidence, 'episode_id': value_json.episode_id, " +
  "'episode_start': value_json.episode_start, 'last_cry_end': value_json.last_cry_end, " +
  "'last_cry_duration_sec': value_json.last_cry_duration_sec} | tojson }}";

/** A device trigger fired by an `event` message of that `type` (start / end). */
function cryTrigger(objectId: "cry_started" | "cry_ended", type: "start" | "end"): EntitySpec {
  return {
    component: "device_automation",
    objectId,
    config: (t) => ({
      automation_type: "trigger",
      topic: t.event,
      value_template: "{{ value_json.type }}",
      payload: type,
      type: objectId,
      subtype: "baby",
    }),
  };
}

export const ENTITIES: readonly EntitySpec[] = [
  {
    component: "binary_sensor",
    objectId: "crying",
    name: "Crying",
    needsCapture: true,
    config: (t) => ({
      device_class: "sound",
      state_topic: t.state,
      value_template: "{{ 'ON' if value_json.crying else 'OFF' }}",
      json_attributes_topic: t.state,
      json_attributes_template: EPISODE_ATTRIBUTES,
      icon: "mdi:emoticon-cry-outline",
    }),
  },
  {
    component: "event",
    objectId: "cry",
    name: "Cry",
    needsCapture: true,
    config: (t) => ({ state_topic: t.cry, event_types: [...CRY_EVENT_TYPES], icon: "mdi:baby-face-outline" }),
  },
  {
    component: "sensor",
    objectId: "cry_reason",
    name: "Cry reason",
    needsCapture: true,
    config: (t) => ({
      device_class: "enum",
      options: [...CRY_EVENT_TYPES],
      state_topic: t.state,
      value_template: "{{ value_json.reason if value_json.reason else 'None' }}",
      icon: "mdi:head-question-outline",
    }),
  },
  {
    component: "sensor",
    objectId: "cry_confidence",
    name: "Cry confidence",
    needsCapture: true,
    config: (t) => ({
      unit_of_measurement: "%",
      state_class: "measurement",
      state_topic: t.state,
      value_template:
        "{{ (value_json.confidence * 100) | round(0) if value_json.confidence is not none else 'None' }}",
      icon: "mdi:percent",
    }),
  },
  {
    component: "sensor",
    objectId: "last_cry",
    name: "Last cry",
    config: (t) => ({
      device_class: "timestamp",
      state_topic: t.state,
      value_template: "{{ value_json.episode_start if value_json.episode_start else 'None' }}",
      icon: "mdi:history",
    }),
  },
  {
    component: "sensor",
    objectId: "last_cry_duration",
    name: "Last cry duration",
    config: (t) => ({
      device_class: "duration",
      unit_of_measurement: "s",
      suggested_display_precision: 0,
      state_topic: t.state,
      value_template: none("last_cry_duration_sec"),
      icon: "mdi:timer-sand",
    }),
  },
  {
    // digital full scale, not sound pressure: no device_class (sound_pressure wants dB/dBA of a calibrated SPL)
    component: "sensor",
    objectId: "sound_level",
    name: "Sound level",
    needsCapture: true,
    config: (t) => ({
      unit_of_measurement: "dBFS",
      state_class: "measurement",
      suggested_display_precision: 0,
      state_topic: t.level,
      icon: "mdi:waveform",
    }),
  },
  {
    component: "switch",
    objectId: "detection",
    name: "Cry detection",
    config: (t) => ({
      command_topic: t.setDetection,
      state_topic: t.state,
      value_template: "{{ 'ON' if value_json.detection_enabled else 'OFF' }}",
      payload_on: "ON",
      payload_off: "OFF",
      entity_category: "config",
      icon: "mdi:ear-hearing",
    }),
  },
  {
    component: "number",
    objectId: "sensitivity",
    name: "Sensitivity",
    config: (t) => ({
      command_topic: t.setSensitivity,
      state_topic: t.state,
      value_template: "{{ (value_json.sensitivity * 100) | round(0) }}",
      min: 0,
      max: 100,
      step: 5,
      mode: "slider",
      unit_of_measurement: "%",
      entity_category: "config",
      icon: "mdi:tune-vertical",
    }),
  },
  {
    component: "binary_sensor",
    objectId: "problem",
    name: "Problem",
    config: (t) => ({
      ...diagnostic(t),
      device_class: "problem",
      value_template: "{{ 'ON' if value_json.problem else 'OFF' }}",
      json_attributes_topic: t.health,
      json_attributes_template:
        "{{ {'faults': value_json.faults, 'capture': value_json.capture, 'model_missing': value_json.model_missing} | tojson }}",
    }),
  },
  {
    component: "sensor",
    objectId: "capture_status",
    name: "Capture status",
    config: (t) => ({
      ...diagnostic(t),
      device_class: "enum",
      options: [...CAPTURE_STATES],
      value_template: "{{ value_json.capture }}",
      icon: "mdi:microphone",
    }),
  },
  {
    component: "sensor",
    objectId: "started",
    name: "Started",
    config: (t) => ({
      ...diagnostic(t),
      device_class: "timestamp",
      value_template: "{{ value_json.started }}",
    }),
  },
  {
    component: "sensor",
    objectId: "inference_ms",
    name: "Inference time per window",
    config: (t) => ({
      ...diagnostic(t),
      enabled_by_default: false,
      unit_of_measurement: "ms",
      state_class: "measurement",
      suggested_display_precision: 1,
      value_template: "{{ value_json.inference_ms_per_window }}",
      icon: "mdi:timer-outline",
    }),
  },
  {
    component: "sensor",
    objectId: "dropped_windows",
    name: "Dropped windows",
    config: (t) => ({
      ...diagnostic(t),
      enabled_by_default: false,
      state_class: "total_increasing",
      value_template: "{{ value_json.dropped_windows }}",
      icon: "mdi:debug-step-over",
    }),
  },
  // device triggers, for automations made in HA's editor ("When Baby monitor cry started")
  cryTrigger("cry_started", "start"),
  cryTrigger("cry_ended", "end"),
  // src/learning: "Not a cry", "What was it?" and the Learning diagnostic
  ...LEARNING_ENTITIES,
];
