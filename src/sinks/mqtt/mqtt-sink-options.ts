import type { DetectionControl, SettingsStore } from "../../control/detection-control.js";
import type { HealthState } from "../../control/health.js";
import type { Logger } from "../../logging.js";
import type { MqttConfig } from "./config.js";
import type { EmbeddedBroker } from "./embedded-broker.js";
import type { MqttOutbox } from "./outbox.js";

export interface MqttSinkOptions {
  config: MqttConfig;
  /** The broker to use (`config.url`); ignored when `embeddedBroker` is given. */
  url?: string;
  /** Started before connecting and stopped after disconnecting; its URL is used. */
  embeddedBroker?: EmbeddedBroker;
  /** The broker password, or how to read it (`mqtt.passwordFile`) at each start, so a retry sees a new file. */
  password?: string | (() => string | undefined);
  deviceId: string;
  swVersion: string;
  hwVersion?: string;
  outbox: MqttOutbox;
  /** Remembers which discovery topics were published, so entities that no longer exist get removed. */
  settings?: SettingsStore;
  control?: DetectionControl;
  /** Applies a `set/feedback` message (src/learning/feedback-command.ts); absent: feedback is off. */
  feedback?: (payload: Buffer) => "applied" | "invalid";
  log: Logger;
  /** The health the daemon publishes: sent on the health topic (the HA diagnostics) whenever it changes. */
  health?: HealthState;
  /** Told when the broker connection comes and goes (e.g. the fault LED). */
  onConnectionChange?: (connected: boolean) => void;
  /** The device's own page for Home Assistant's device card (`configuration_url`), when one is served. */
  configurationUrl?: string;
  /** When the daemon started (ms since the epoch): the "Started" sensor. Default: this process's start. */
  startedMs?: number;
}
