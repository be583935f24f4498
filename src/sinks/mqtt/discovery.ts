import { ENTITIES, type EntitySpec } from "./entities.js";
import type { MqttTopics } from "./topics.js";

export { CAPTURE_STATES, CRY_EVENT_TYPES } from "./entities.js";

/**
 * Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery). By default one
 * retained device-based config (`<prefix>/device/<deviceId>/config`: `dev`, `o`, `cmps`, shared availability; HA ≥
 * 2024.11); `mode: "entity"` publishes one config per entity under `<prefix>/<component>/<deviceId>/<objectId>/config`
 * for older HA. Either way a component's key is its objectId, so HA's discovery id (`<deviceId> <objectId>`) and the
 * unique_id are the same in both layouts and a migration keeps the entities and their history.
 */
export interface DiscoveryContext {
  deviceId: string;
  deviceName: string;
  swVersion: string;
  /** e.g. the board model from /proc/device-tree/model, when known */
  hwVersion?: string;
  /** The device's own page (HA shows a "Visit" link), e.g. the local web page when one is served. */
  configurationUrl?: string;
  topics: MqttTopics;
  mode: "device" | "entity";
  /** Defaults to ENTITIES (src/sinks/mqtt/entities.ts). */
  entities?: readonly EntitySpec[];
}

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
  /** `component/objectId` of every entity the message announces (what a migration carries over). */
  entityKeys: string[];
}

const SUPPORT_URL = "https://github.com/babymon/babymon";

export function deviceBlock(ctx: DiscoveryContext): Record<string, unknown> {
  return {
    identifiers: [`babymon_${ctx.deviceId}`],
    name: ctx.deviceName,
    manufacturer: "babymon",
    model: "babymon cry detector (YAMNet)",
    sw_version: ctx.swVersion,
    ...(ctx.hwVersion ? { hw_version: ctx.hwVersion } : {}),
    ...(ctx.configurationUrl ? { configuration_url: ctx.configurationUrl } : {}),
  };
}

const originBlock = (ctx: DiscoveryContext) => ({
  name: "babymon",
  sw_version: ctx.swVersion,
  support_url: SUPPORT_URL,
});

/** One component's config without device, origin or the daemon's availability (added per layout below). */
function componentConfig(spec: EntitySpec, ctx: DiscoveryContext): Record<string, unknown> {
  const { deviceId, topics } = ctx;
  if (spec.component === "device_automation") return { ...spec.config(topics), qos: 1 };
  return {
    name: spec.name,
    unique_id: `babymon_${deviceId}_${spec.objectId}`,
    default_entity_id: `${spec.component}.babymon_${deviceId}_${spec.objectId}`,
    qos: 1,
    ...(spec.needsCapture
      ? {
          availability: [{ topic: topics.availability }, { topic: topics.captureAvailability }],
          availability_mode: "all",
        }
      : {}),
    ...spec.config(topics),
  };
}

export const entityKey = (component: string, objectId: string) => `${component}/${objectId}`;

export function buildDiscoveryMessages(ctx: DiscoveryContext): DiscoveryMessage[] {
  const specs = ctx.entities ?? ENTITIES;
  const shared = [{ topic: ctx.topics.availability }];
  if (ctx.mode === "device") {
    const cmps = Object.fromEntries(
      specs.map((spec) => [spec.objectId, { p: spec.component, ...componentConfig(spec, ctx) }]),
    );
    return [
      {
        topic: ctx.topics.deviceDiscovery,
        payload: { dev: deviceBlock(ctx), o: originBlock(ctx), cmps, availability: shared },
        entityKeys: specs.map((s) => entityKey(s.component, s.objectId)),
      },
    ];
  }
  return specs.map((spec) => {
    const config = componentConfig(spec, ctx);
    const isTrigger = spec.component === "device_automation";
    return {
      topic: ctx.topics.discovery(spec.component, spec.objectId),
      payload: {
        ...(isTrigger || config.availability ? {} : { availability: shared }),
        ...config,
        device: deviceBlock(ctx),
        origin: originBlock(ctx),
      },
      entityKeys: [entityKey(spec.component, spec.objectId)],
    };
  });
}
