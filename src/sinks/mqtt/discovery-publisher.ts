import type { MqttClient } from "mqtt";
import type { SettingsStore } from "../../control/detection-control.js";
import type { Logger } from "../../logging.js";
import type { DiscoveryMessage } from "./discovery.js";
import { discoveryPlan } from "./discovery-plan.js";

export const DISCOVERY_TOPICS_KEY = "mqtt.discovery.topics";

/** The discovery topics an earlier run published (remembered in the settings store), or none. */
export function rememberedDiscoveryTopics(settings: SettingsStore | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(settings?.get(DISCOVERY_TOPICS_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/**
 * Publishes discovery (retained, QoS 1, one message after the other's PUBACK so HA sees a migration in order) and
 * remembers the topics, so the next run can migrate or remove what it no longer announces.
 */
export class DiscoveryPublisher {
  readonly stats = { publishes: 0, configMessages: 0, migrated: 0, cleared: 0 };
  #running: Promise<void> | null = null;
  #again = false;

  constructor(
    private readonly o: { settings?: SettingsStore; log: Logger; build: () => DiscoveryMessage[] },
  ) {}

  /** Publishes now; a call while one runs makes one more run after it (never two at once). */
  publish(client: MqttClient): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#run(client).finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        void this.publish(client);
      }
    });
    return this.#running;
  }

  async #run(client: MqttClient): Promise<void> {
    const { settings, log } = this.o;
    const messages = this.o.build();
    const steps = discoveryPlan(rememberedDiscoveryTopics(settings), messages);
    this.stats.publishes++;
    try {
      for (const step of steps) {
        await client.publishAsync(step.topic, step.payload, { qos: 1, retain: true });
        if (step.why === "config") this.stats.configMessages++;
        else if (step.why === "migrate") this.stats.migrated++;
        else this.stats.cleared++;
      }
      const migrated = steps.filter((s) => s.why === "migrate").map((s) => s.topic);
      if (migrated.length > 0) {
        log.info(
          { from: migrated, to: messages.map((m) => m.topic) },
          "MQTT: migrated Home Assistant discovery",
        );
      }
      settings?.set(DISCOVERY_TOPICS_KEY, JSON.stringify(messages.map((m) => m.topic)));
    } catch (error) {
      log.warn(
        { err: error },
        "MQTT: discovery not fully published; it is published again on the next connect",
      );
    }
  }
}
