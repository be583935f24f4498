import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { readAudioFile16k } from "../../src/audio/decode.js";
import { configSchema } from "../../src/config/schema.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";

export const SHARED = join(PROJECT_ROOT, "..", "shared");
export const CRY_CLIP = join(SHARED, "examples", "baby_5000ms.wav");
export const DOG_CLIP = join(SHARED, "data", "household", "dog", "4-182395-A.wav");
const CLI = join(PROJECT_ROOT, "src", "cli", "main.ts");

export async function load16k(path: string): Promise<Float32Array> {
  return (await readAudioFile16k(path)).samples;
}

/** Low noise (about −70 dBFS) so the stream is never digital silence. */
export function quiet(seconds: number, seed = 1): Float32Array {
  let s = seed;
  const out = new Float32Array(Math.round(seconds * 16000));
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * 0.0005;
  }
  return out;
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function toS16(samples: Float32Array): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++)
    b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), i * 2);
  return b;
}

/** Env that switches off the sinks of other slices (MQTT, GPIO, the web page) when the schema has them: this test is about SQLite. */
export function isolatedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = envWithoutBabymon(extra);
  const shape = (configSchema as unknown as { shape: Record<string, unknown> }).shape;
  // YAMNet's own cry score: deterministic, whatever state the trained heads under models/ are in
  env.BABYMON_INFERENCE__SCORE_SOURCE ??= "yamnet";
  if ("mqtt" in shape) env.BABYMON_MQTT__ENABLED = "false";
  if ("gpio" in shape) env.BABYMON_GPIO__ENABLED = "false";
  if ("web" in shape) env.BABYMON_WEB__ENABLED = "false";
  return env;
}

/** The daemon's env for a test about what reaches a real broker: isolatedEnv with MQTT back on, device `nursery`. */
export function mqttDaemonEnv(
  data: string,
  brokerUrl: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...isolatedEnv({}),
    NOTIFY_SOCKET: "",
    BABYMON_DATA_DIR: data,
    BABYMON_MQTT__ENABLED: "true",
    BABYMON_MQTT__URL: brokerUrl,
    BABYMON_MQTT__DEVICE_ID: "nursery",
    BABYMON_MQTT__RECONNECT_SEC: "0.5",
    ...extra,
  };
}

/**
 * An ALSA device `babymon_test` (ALSA's `file` plugin) that captures what is written into a FIFO (made here, in
 * `dir`): set `ALSA_CONFIG_PATH` to `asoundrc` and feed `fifo` with a FifoFeeder.
 */
export function alsaFifoDevice(dir: string): { fifo: string; asoundrc: string } {
  const fifo = join(dir, "mic.fifo");
  const made = spawnSync("mkfifo", [fifo]);
  if (made.status !== 0)
    throw new Error(`mkfifo ${fifo} failed: ${made.stderr?.toString() || made.error?.message}`);
  const asoundrc = join(dir, "asoundrc");
  writeFileSync(
    asoundrc,
    `</usr/share/alsa/alsa.conf>\npcm.babymon_test { type file; slave.pcm null; file "/dev/null"; infile "${fifo}"; format "raw" }\n`,
  );
  return { fifo, asoundrc };
}

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

/** `babymon …` as a child process; its pino JSON log lines are collected. */
export class Daemon {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buf = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
        nl = buf.indexOf("\n");
        for (const w of this.waiters) w();
      }
    });
    this.child.stderr!.on("data", (c: Buffer) => {
      this.stderr += c.toString();
    });
    this.exited = new Promise((r) => this.child.on("exit", (code, signal) => r({ code, signal })));
  }

  /** Waits for the n-th log line matching `pred`. */
  async waitFor(
    pred: (l: LogLine) => boolean,
    timeoutMs: number,
    n = 1,
    what = "log line",
  ): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.lines.filter(pred);
      if (hits.length >= n) return hits[n - 1];
      if (this.child.exitCode !== null)
        throw new Error(`daemon exited before ${what}: ${this.stderr}\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}\n${this.tail()}\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      this.waiters = [];
    }
  }

  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join("\n");
  }

  /** Child processes of the daemon with the given command name (e.g. arecord), by pid. */
  children(command: string): number[] {
    const r = spawnSync("ps", ["-o", "pid=,comm=", "--ppid", String(this.child.pid)], { encoding: "utf8" });
    return r.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, comm]) => Number(pid) > 0 && comm === command)
      .map(([pid]) => Number(pid));
  }
}

interface QueuedSegment {
  data: Buffer;
  started: (t: number) => void;
  done: () => void;
}

/**
 * Writes 16 kHz s16le into a FIFO at real-time pace (what `arecord` reads through ALSA's `file` plugin): queued
 * segments, silence when the queue is empty. When the reader goes away (arecord killed) it waits for the next
 * reader and goes on. `segment` resolves with the wall-clock time its first byte was written.
 */
export class FifoFeeder {
  private readonly queue: QueuedSegment[] = [];
  private stopped = false;
  readonly running: Promise<void>;
  private readonly silence = toS16(quiet(0.125));

  constructor(private readonly fifo: string) {
    this.running = this.run();
  }

  segment(samples: Float32Array): { started: Promise<number>; done: Promise<void> } {
    let started!: (t: number) => void;
    let done!: () => void;
    const s = new Promise<number>((r) => {
      started = r;
    });
    const d = new Promise<void>((r) => {
      done = r;
    });
    this.queue.push({ data: toS16(samples), started, done });
    return { started: s, done: d };
  }

  private async run(): Promise<void> {
    // The file plugin fills a short read() with stale bytes, so every write must be exactly one arecord period:
    // 2000 frames (arecord's default for this device: buffer 500 ms / 4), 4000 bytes ≤ PIPE_BUF, hence atomic.
    const chunk = 4000;
    let current: { data: Buffer; offset: number; item: QueuedSegment } | null = null;
    while (!this.stopped) {
      let fh: Awaited<ReturnType<typeof open>>;
      try {
        fh = await open(this.fifo, "w");
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const t0 = Date.now();
      let sent = 0;
      try {
        while (!this.stopped) {
          if (!current && this.queue.length > 0) {
            const item = this.queue.shift()!;
            current = { data: item.data, offset: 0, item };
            item.started(Date.now());
          }
          let piece: Buffer;
          if (current) {
            piece = current.data.subarray(current.offset, current.offset + chunk);
            current.offset += piece.length;
            if (current.offset >= current.data.length) {
              current.item.done();
              current = null;
            }
          } else piece = this.silence;
          await fh.write(piece);
          sent += piece.length;
          const wait = t0 + (sent / 32000) * 1000 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      } catch {
        // reader gone (EPIPE): reopen for the restarted capture
      }
      await fh.close().catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // a pending open() on the FIFO returns once a reader appears; open one ourselves so it does
    const reader = await open(this.fifo, "r+").catch(() => null);
    await this.running;
    await reader?.close();
  }
}
