import type { DetectionControl } from "../../control/detection-control.js";
import type { Logger } from "../../logging.js";
import { parseCommand } from "./payloads.js";
import type { MqttTopics } from "./topics.js";

/**
 * Applies one message on a command topic (`set/detection`, `set/sensitivity`) to the detection control. A
 * malformed or failing command is logged and ignored, never thrown: it comes back as "invalid" (counted by the
 * sink); "ignored" is a topic that is not a command, or no control to apply it to.
 */
export function applyCommand(
  topic: string,
  payload: Buffer,
  o: {
    topics: MqttTopics;
    control: DetectionControl | undefined;
    log: Logger;
    feedback?: (payload: Buffer) => "applied" | "invalid";
  },
): "applied" | "invalid" | "ignored" {
  const { topics, control, log } = o;
  if (topic === topics.setFeedback) return o.feedback ? o.feedback(payload) : "ignored";
  const which =
    topic === topics.setDetection ? "detection" : topic === topics.setSensitivity ? "sensitivity" : null;
  if (!which) return "ignored";
  try {
    const command = parseCommand(which, payload);
    if (command.kind === "invalid") {
      log.warn({ topic }, `MQTT: ignored a malformed command: ${command.reason}`);
      return "invalid";
    }
    if (!control) {
      log.warn({ topic }, "MQTT: ignored a command: no detection control is wired in");
      return "ignored";
    }
    if (command.kind === "detection") control.setEnabled(command.enabled, "mqtt");
    else control.setSensitivity(command.sensitivity, "mqtt");
    log.info({ topic, settings: control.get() }, "MQTT: applied a command");
    return "applied";
  } catch (error) {
    log.warn({ err: error, topic }, "MQTT: a command failed and was ignored");
    return "invalid";
  }
}
