import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import {
  type CaptureExit,
  type CaptureProcess,
  lastLines,
  SupervisedCapture,
  type SupervisionOptions,
} from "./supervised.js";

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

  /** arecord's own words, with the device it was given and where to look next. */
  protected override describeExit(exit: CaptureExit): string {
    const device = `\`audio.device\` ${JSON.stringify(this.device)}`;
    if (exit.spawnError?.code === "ENOENT") {
      return `Expected arecord on PATH to capture from ${device}, found none (PATH=${process.env.PATH ?? ""}); install alsa-utils`;
    }
    if (exit.spawnError) return `arecord could not be started for ${device}: ${exit.spawnError.message}`;
    const stderr = lastLines(exit.stderr);
    const how = exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`;
    const hint = exit.code !== 0 && !exit.signal ? " (`babymon devices` lists the capture devices)" : "";
    return `arecord on ${device} ${how}${stderr ? `: ${stderr}` : " without a message"}${hint}`;
  }
}
