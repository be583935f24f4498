import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { type CaptureProcess, SupervisedCapture, type SupervisionOptions } from "./supervised.js";

const require = createRequire(import.meta.url);
const recorder = require("node-record-lpcm16") as {
  record(options: Record<string, unknown>): { process: ChildProcess; stop(): void };
};

/** The microphone: `arecord` (through node-record-lpcm16) on an ALSA device, s16le mono, kept alive. */
export class MicSource extends SupervisedCapture {
  readonly description: string;

  constructor(
    private readonly device: string,
    options: SupervisionOptions,
  ) {
    super(options);
    this.description = `microphone ${device} (arecord, ${options.sampleRate} Hz)`;
  }

  protected spawn(): CaptureProcess {
    const recording = recorder.record({
      recorder: "arecord",
      device: this.device,
      sampleRate: this.options.sampleRate,
      channels: 1,
      audioType: "raw",
    });
    // node-record-lpcm16 re-emits a non-zero exit as a stream 'error'; the supervisor handles exits itself
    recording.process.stdout?.on("error", () => {});
    return { child: recording.process };
  }
}
