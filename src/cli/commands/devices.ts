import { execFileSync } from "node:child_process";
import type { Command } from "commander";

export interface CaptureDevice {
  /** ALSA name to put in `audio.device`, e.g. "plughw:CARD=Device,DEV=0" or "default" */
  name: string;
  description: string;
}

/** Parses `arecord -L`: a name at column 0, its description indented below. */
export function parseArecordL(text: string): CaptureDevice[] {
  const devices: CaptureDevice[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    if (/^\s/.test(line)) {
      const last = devices[devices.length - 1];
      if (last) last.description = last.description ? `${last.description} — ${line.trim()}` : line.trim();
    } else devices.push({ name: line.trim(), description: "" });
  }
  return devices;
}

export function register(program: Command): void {
  program
    .command("devices")
    .description("list ALSA capture devices (names for `audio.device`)")
    .option("--json", "print JSON")
    .option("--all", "include virtual devices such as null and dmix")
    .action((opts: { json?: boolean; all?: boolean }) => {
      let text: string;
      try {
        text = execFileSync("arecord", ["-L"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (err) {
        process.stderr.write(
          `babymon: cannot list capture devices with arecord (install alsa-utils): ${(err as Error).message}\n`,
        );
        process.exit(1);
      }
      const skip = /^(null|dmix|dsnoop|surround|iec958|front|rear|center_lfe|side|hdmi|usbstream)\b/;
      const devices = parseArecordL(text).filter((d) => opts.all || !skip.test(d.name));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(devices, null, 2)}\n`);
        return;
      }
      if (devices.length === 0) {
        process.stdout.write("no capture devices found (is a microphone connected? try --all)\n");
        return;
      }
      for (const d of devices) process.stdout.write(`${d.name}\n    ${d.description}\n`);
      process.stdout.write(
        '\nSet one with `audio.device` in the config or BABYMON_AUDIO__DEVICE, e.g. "plughw:CARD=…,DEV=0".\n',
      );
    });
}
