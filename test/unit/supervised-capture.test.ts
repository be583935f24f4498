import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { type CaptureProcess, SupervisedCapture } from "../../src/audio/sources/supervised.js";
import type { CaptureStatus } from "../../src/events.js";

/** A capture "device" that is a real shell process: writes some s16le zeros, then does what `script` says. */
class ShellCapture extends SupervisedCapture {
  readonly description = "shell capture";
  spawned = 0;
  constructor(
    private readonly script: string,
    stallTimeoutSec: number,
  ) {
    super({
      sampleRate: 16000,
      stallTimeoutSec,
      restartMinSec: 0.1,
      restartMaxSec: 0.4,
      restartOnExit: true,
    });
  }
  protected spawn(): CaptureProcess {
    this.spawned++;
    return { child: spawn("sh", ["-c", this.script], { stdio: ["ignore", "pipe", "pipe"] }) };
  }
}

async function watch(source: ShellCapture, ms: number) {
  const statuses: CaptureStatus[] = [];
  let samples = 0;
  await source.start({
    data: (s) => {
      samples += s.length;
    },
    status: (s) => statuses.push(s),
  });
  await new Promise((r) => setTimeout(r, ms));
  await source.stop();
  return { statuses, samples };
}

describe("supervised capture process", () => {
  it("restarts a capture process that dies, with backoff, and reports offline/online", async () => {
    const source = new ShellCapture("head -c 3200 /dev/zero; echo 'device gone' >&2; exit 3", 5);
    const { statuses, samples } = await watch(source, 1500);
    assert.ok(
      source.spawned >= 3 && source.spawned <= 8,
      `restarted with backoff, spawned ${source.spawned}`,
    );
    assert.equal(source.restarts, source.spawned - 1);
    assert.deepEqual(statuses.slice(0, 3), ["online", "offline", "online"]);
    assert.equal(samples, 1600 * source.spawned);
  });

  it("kills and restarts a capture process that stops delivering audio (stalled)", async () => {
    const source = new ShellCapture("head -c 3200 /dev/zero; exec sleep 30", 0.6);
    const { statuses } = await watch(source, 2500);
    assert.ok(statuses.includes("stalled"), statuses.join(","));
    assert.ok(source.spawned >= 2, "restarted after the stall");
    const i = statuses.indexOf("stalled");
    assert.deepEqual(statuses.slice(i, i + 3), ["stalled", "offline", "online"]);
  });
});
