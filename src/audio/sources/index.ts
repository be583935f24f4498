import type { AudioConfig } from "../../config/schema.js";
import { FileSource } from "./file.js";
import { MicSource } from "./mic.js";
import type { AudioSource } from "./source.js";
import { StdinSource } from "./stdin.js";
import { NetworkStreamSource } from "./stream.js";

export type { AudioSource, SourceHandlers } from "./source.js";

const URL_PATTERN = /^(rtsps?|rtmp|https?|srt|udp|tcp):\/\//i;

/** The source the audio config asks for: `input` decides under `source: auto` (URL, `-`, path), else the mic. */
export function createAudioSource(config: AudioConfig): AudioSource {
  const supervision = {
    stallTimeoutSec: config.stallTimeoutSec,
    restartMinSec: config.restartMinSec,
    restartMaxSec: config.restartMaxSec,
  };
  let kind = config.source;
  if (kind === "auto") {
    if (!config.input) kind = "mic";
    else if (config.input === "-") kind = "stdin";
    else if (URL_PATTERN.test(config.input)) kind = "url";
    else kind = "file";
  }
  const needInput = (what: string) => {
    if (!config.input)
      throw new Error(`Expected \`audio.input\` to name ${what} for \`audio.source: ${kind}\``);
    return config.input;
  };
  switch (kind) {
    case "mic":
      return new MicSource(config.device, {
        ...supervision,
        sampleRate: config.sampleRate,
        restartOnExit: true,
      });
    case "stdin":
      return new StdinSource(config.sampleRate);
    case "url":
      return new NetworkStreamSource(needInput("a stream URL"), {
        ...supervision,
        restartOnExit: config.reconnect,
      });
    default:
      return new FileSource(needInput("a file"), config.realtime);
  }
}
