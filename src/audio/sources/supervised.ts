import type { ChildProcess } from "node:child_process";
import { StreamingResampler } from "../../dsp/resample.js";
import type { CaptureStatus } from "../../events.js";
import { S16Decoder } from "./s16-decoder.js";
import type { AudioSource, SourceHandlers } from "./source.js";

export interface SupervisionOptions {
  /** rate of the s16le stream the child delivers; resampled to 16 kHz when different */
  sampleRate: number;
  stallTimeoutSec: number;
  restartMinSec: number;
  restartMaxSec: number;
  /** restart when the child exits (live capture); false: the source ends with the child (`done`) */
  restartOnExit: boolean;
}

/** A child that writes s16le mono to its stdout. */
export interface CaptureProcess {
  child: ChildProcess;
}

/** A process lives this long before its exit counts as a fresh failure rather than part of a crash loop. */
const HEALTHY_RUN_MS = 10_000;

/** How a capture child ended, for the message that reports it. */
export interface CaptureExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the last lines the child wrote to stderr (its own words: arecord's "audio open error: …") */
  stderr: string;
  /** set when the child could not be started at all (spawn ENOENT: the program is not on PATH) */
  spawnError: NodeJS.ErrnoException | null;
}

/** The last `n` non-empty lines of a stderr tail, joined on one line. */
export function lastLines(text: string, n = 3): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join("; ");
}

/**
 * Runs a capture child process (arecord, ffmpeg) and keeps it running: when it exits or stops delivering audio for
 * `stallTimeoutSec`, it is killed and restarted with exponential backoff. Status: `online` while audio flows,
 * `stalled` when it stopped flowing, `offline` while no process runs. Every failure is reported (status `offline`
 * with the child's own stderr and the retry delay), also when the status already was offline: a device that never
 * opens is reported at its first attempt and at each retry, not dropped as "no change".
 */
export abstract class SupervisedCapture implements AudioSource {
  readonly lossless = false;
  readonly replayClock = false;
  abstract readonly description: string;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private handlers: SourceHandlers | null = null;
  /** null until the first status is reported */
  private current: CaptureStatus | null = null;
  private proc: CaptureProcess | null = null;
  private stopped = false;
  private failures = 0;
  private restartCount = 0;
  private lastDataAt = 0;
  private startedAt = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stderrTail = "";

  constructor(protected readonly options: SupervisionOptions) {
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
  }

  /** Spawns the capture child. */
  protected abstract spawn(): CaptureProcess;

  /** What went wrong, in words that name the program and its input; subclasses name their config value. */
  protected describeExit(exit: CaptureExit): string {
    if (exit.spawnError) return `capture could not start: ${exit.spawnError.message}`;
    const stderr = lastLines(exit.stderr);
    return `capture exited (${exit.signal ?? `code ${exit.code}`})${stderr ? `: ${stderr}` : ""}`;
  }

  get restarts(): number {
    return this.restartCount;
  }

  status(): CaptureStatus {
    return this.current ?? "offline";
  }

  /** The running child's pid (tests kill it to check the restart). */
  pid(): number | undefined {
    return this.proc?.child.pid;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    this.launch();
    const tick = Math.max(200, Math.min(1000, (this.options.stallTimeoutSec * 1000) / 4));
    this.watchdog = setInterval(() => this.checkStall(), tick);
    this.watchdog.unref();
  }

  private setStatus(status: CaptureStatus, detail: string | null): void {
    if (status === this.current) return;
    this.current = status;
    this.handlers?.status(status, detail);
  }

  /** A failed or ended attempt: always reported, with the retry delay when there is one. */
  private reportFailure(why: string, retryInMs: number | null): void {
    this.current = "offline";
    const retry = retryInMs === null ? "" : `; retrying in ${Math.round(retryInMs / 100) / 10} s`;
    this.handlers?.status("offline", `${why}${retry}`);
  }

  private launch(): void {
    if (this.stopped) return;
    let proc: CaptureProcess;
    try {
      proc = this.spawn();
    } catch (err) {
      const why = this.describeExit({
        code: null,
        signal: null,
        stderr: "",
        spawnError: err as NodeJS.ErrnoException,
      });
      this.reportFailure(why, this.scheduleRestart());
      return;
    }
    this.proc = proc;
    this.startedAt = Date.now();
    this.lastDataAt = Date.now();
    this.stderrTail = "";
    let spawnError: NodeJS.ErrnoException | null = null;
    const decoder = new S16Decoder();
    const resampler =
      this.options.sampleRate === 16000 ? null : new StreamingResampler(this.options.sampleRate, 16000);
    const { child } = proc;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (this.proc !== proc) return;
      this.lastDataAt = Date.now();
      const raw = decoder.decode(chunk);
      const samples = resampler ? resampler.process(raw) : raw;
      if (this.current !== "online") this.setStatus("online", this.description);
      if (samples.length > 0) void this.handlers?.data(samples);
    });
    child.stdout?.on("error", () => {});
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-1000);
    });
    child.on("error", (err) => {
      spawnError = err as NodeJS.ErrnoException;
    });
    child.on("close", (code, signal) => {
      if (this.proc !== proc) return;
      this.proc = null;
      if (this.stopped) return;
      const why = this.describeExit({ code, signal, stderr: this.stderrTail, spawnError });
      if (!this.options.restartOnExit) {
        this.reportFailure(why, null);
        this.resolveDone();
        return;
      }
      if (Date.now() - this.startedAt >= HEALTHY_RUN_MS) this.failures = 0;
      this.reportFailure(why, this.scheduleRestart());
    });
  }

  /** Schedules the next attempt with backoff; returns its delay (ms), or null when none is scheduled. */
  private scheduleRestart(): number | null {
    if (this.stopped || this.restartTimer) return null;
    const { restartMinSec, restartMaxSec } = this.options;
    const delay = Math.min(restartMaxSec, restartMinSec * 2 ** this.failures) * 1000;
    this.failures++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restartCount++;
      this.launch();
    }, delay);
    return delay;
  }

  private checkStall(): void {
    const proc = this.proc;
    if (!proc || this.stopped) return;
    if (Date.now() - this.lastDataAt >= this.options.stallTimeoutSec * 1000) {
      this.setStatus("stalled", `no audio for ${this.options.stallTimeoutSec} s`);
      proc.child.kill("SIGKILL");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      const exited = new Promise<void>((r) => proc.child.once("close", () => r()));
      proc.child.kill("SIGTERM");
      const t = setTimeout(() => proc.child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(t);
    }
    this.current = "offline";
    this.resolveDone();
  }
}
