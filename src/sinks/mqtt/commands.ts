import type { DetectionControl } from "../../control/detection-control.js";
import type { Logger } from "../../logging.js";
import { type DetectionCommand, parseCommand } from "./payloads.js";
import type { MqttTopics } from "./topics.js";

type ValidCommand = Exclude<DetectionCommand, { kind: "invalid" }>;

/** Malformed commands logged per minute; the rest are counted and summed up in the next warning. */
const INVALID_LOGS_PER_MINUTE = 10;

/**
 * Applies the messages on the command topics (`set/detection`, `set/sensitivity`) to the detection control.
 * Commands are coalesced per topic, last one wins: a burst (a slider dragged, or 10,000 messages in a second) costs
 * one parse each and one setting change (one database write) per topic and event-loop turn, so the daemon keeps up
 * and the setting left is the last valid one sent. A malformed command is logged (at most 10 a minute) and ignored,
 * never thrown, and never discards a valid one sent before it.
 */
export class CommandApplier {
  readonly stats = { received: 0, invalid: 0, applied: 0 };
  readonly #pending = new Map<string, ValidCommand>();
  #scheduled = false;
  #windowStartMs = 0;
  #loggedInWindow = 0;
  #suppressed = 0;

  constructor(
    private readonly o: {
      topics: MqttTopics;
      control: DetectionControl | undefined;
      log: Logger;
      /** src/learning's feedback handler (it validates, rate-limits and logs on its own) */
      feedback?: (payload: Buffer) => "applied" | "invalid";
    },
  ) {}

  /** True when `topic` is a command topic (the message is taken), false for anything else. */
  offer(topic: string, payload: Buffer): boolean {
    const { topics } = this.o;
    if (topic === topics.setFeedback) {
      this.o.feedback?.(payload);
      return this.o.feedback !== undefined;
    }
    const which =
      topic === topics.setDetection ? "detection" : topic === topics.setSensitivity ? "sensitivity" : null;
    if (!which) return false;
    this.stats.received++;
    const command = parseCommand(which, payload);
    if (command.kind === "invalid") {
      this.stats.invalid++;
      this.#warnInvalid(topic, command.reason);
      return true;
    }
    this.#pending.set(topic, command);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Applies the latest pending command of each topic. */
  flush(): void {
    this.#scheduled = false;
    const { control, log } = this.o;
    for (const [topic, command] of this.#pending) {
      this.#pending.delete(topic);
      if (!control) {
        log.warn({ topic }, "MQTT: ignored a command: no detection control is wired in");
        continue;
      }
      try {
        if (command.kind === "detection") control.setEnabled(command.enabled, "mqtt");
        else control.setSensitivity(command.sensitivity, "mqtt");
        this.stats.applied++;
        log.info({ topic, settings: control.get() }, "MQTT: applied a command");
      } catch (error) {
        log.warn({ err: error, topic }, "MQTT: a command failed and was ignored");
      }
    }
  }

  #warnInvalid(topic: string, reason: string): void {
    const now = Date.now();
    if (now - this.#windowStartMs >= 60_000) {
      this.#windowStartMs = now;
      this.#loggedInWindow = 0;
    }
    if (this.#loggedInWindow >= INVALID_LOGS_PER_MINUTE) {
      this.#suppressed++;
      return;
    }
    this.#loggedInWindow++;
    const more = this.#suppressed > 0 ? ` (and ${this.#suppressed} more malformed commands not logged)` : "";
    this.#suppressed = 0;
    this.o.log.warn({ topic }, `MQTT: ignored a malformed command: ${reason}${more}`);
  }
}
