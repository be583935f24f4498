import { redactUrl } from "../logging.js";
import type { Config } from "./schema.js";

/** What a hidden secret is printed as. */
export const REDACTED = "***";

/**
 * The config with its secrets hidden, for printing: `mqtt.password` (whether it came from the file, the
 * environment or the command line) and `web.token` become "***", and the password in a URL with credentials (`mqtt.url`,
 * a stream `audio.input` such as rtsp://user:pass@camera) becomes `scheme://user:***@host`. The content of
 * `mqtt.passwordFile` is never part of the config; its path is not a secret and stays.
 */
export function redactSecrets(config: Config): Config {
  return {
    ...config,
    audio: { ...config.audio, input: config.audio.input === null ? null : redactUrl(config.audio.input) },
    mqtt: {
      ...config.mqtt,
      ...(config.mqtt.password !== undefined && { password: REDACTED }),
      ...(config.mqtt.url !== undefined && { url: redactUrl(config.mqtt.url) }),
    },
    web: { ...config.web, ...(config.web.token !== undefined && { token: REDACTED }) },
  };
}
