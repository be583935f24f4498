import { type DiscoveryMessage, entityKey } from "./discovery.js";

/** One retained publish of a discovery change, in the order they must reach Home Assistant. */
export interface DiscoveryStep {
  topic: string;
  /** JSON, or "" to remove what the topic announced. */
  payload: string;
  why: "migrate" | "config" | "clear";
}

/** HA's MIGRATE_DISCOVERY_SCHEMA (homeassistant/components/mqtt/discovery.py): `{"migrate_discovery": true}`. */
export const MIGRATE_PAYLOAD = JSON.stringify({ migrate_discovery: true });

/** `component/objectId` of a per-entity config topic, "device" for a device-based one, null for anything else. */
export function announcedBy(topic: string): string | null {
  const parts = topic.split("/");
  if (parts.at(-1) !== "config" || parts.length < 4) return null;
  if (parts.at(-3) === "device") return "device";
  return parts.length >= 5 ? entityKey(parts.at(-4)!, parts.at(-2)!) : null;
}

/**
 * From the topics published last time to the messages of now, following HA's migration between per-entity and
 * device-based discovery: (1) `{"migrate_discovery": true}` on each old topic whose entities live on (HA detaches
 * them from that topic and keeps entity, id and history), (2) the new configs, (3) an empty retained payload on
 * every old topic, which completes the migration (or, for an entity that is gone, removes it).
 */
export function discoveryPlan(
  previous: readonly string[],
  messages: readonly DiscoveryMessage[],
): DiscoveryStep[] {
  const current = new Set(messages.map((m) => m.topic));
  const keys = new Set(messages.flatMap((m) => m.entityKeys));
  const stale = previous.filter((t) => !current.has(t));
  const carried = stale.filter((t) => {
    const key = announcedBy(t);
    return key === "device" ? keys.size > 0 : key !== null && keys.has(key);
  });
  return [
    ...carried.map((topic) => ({ topic, payload: MIGRATE_PAYLOAD, why: "migrate" as const })),
    ...messages.map((m) => ({ topic: m.topic, payload: JSON.stringify(m.payload), why: "config" as const })),
    ...stale.map((topic) => ({ topic, payload: "", why: "clear" as const })),
  ];
}
