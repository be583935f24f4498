import { spawn } from "node:child_process";
import { redactUrl } from "../../logging.js";
import { ffmpegExecutable } from "../ffmpeg.js";
import { type CaptureProcess, SupervisedCapture, type SupervisionOptions } from "./supervised.js";

/** A network stream (RTSP, HTTP(S)) through ffmpeg, audio only, as 16 kHz mono s16le; reconnected when it drops. */
export class NetworkStreamSource extends SupervisedCapture {
  readonly description: string;

  constructor(
    private readonly url: string,
    options: Omit<SupervisionOptions, "sampleRate">,
    private readonly ffmpegPath = ffmpegExecutable(),
  ) {
    super({ ...options, sampleRate: 16000 });
    this.description = `stream ${redactUrl(url)} (ffmpeg)`;
  }

  protected spawn(): CaptureProcess {
    const input = this.url.startsWith("rtsp") ? ["-rtsp_transport", "tcp"] : [];
    const args = [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      ...input,
      "-i",
      this.url,
      "-vn",
      "-ac",
      "1",
      "-ar",
      "16000",
      "-f",
      "s16le",
      "pipe:1",
    ];
    const child = spawn(this.ffmpegPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    return { child };
  }
}
