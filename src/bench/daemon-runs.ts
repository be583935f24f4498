import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { NODE_FLAGS } from "../cli/node-flags.js";
import { PROJECT_ROOT } from "../version.js";
import { procStat, sampleProcess } from "./proc-stat.js";

/** The babymon processes the pipeline section measures, each a child of its own (node with NODE_FLAGS, as the
 * shebang and the systemd unit start it) sampled from /proc. */
export const CLI = join(PROJECT_ROOT, "dist", "cli", "main.js");

/** The daemon's env for a bench child: its own data dir, no GPIO, no web page (port 8780), warnings only. */
export function benchEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BABYMON_DATA_DIR: dataDir,
    BABYMON_MQTT__ENABLED: "false",
    BABYMON_GPIO__ENABLED: "false",
    BABYMON_WEB__ENABLED: "false",
    BABYMON_LOGGING__LEVEL: "warn",
    ...extra,
  };
}

/** Node's flags for the bench children: NODE_FLAGS, or none with `--no-node-flags` (to measure what they save). */
export function nodeFlags(args: string[]): readonly string[] {
  return args.includes("--no-node-flags") ? [] : NODE_FLAGS;
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null) r(child.exitCode);
    else child.on("exit", (code) => r(code));
  });
}

/** A TCP port free on 127.0.0.1 right now (for the embedded broker of a bench run). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

export interface DetectFigures {
  sec: number;
  cpuSec: number;
  peakRssMb: number;
  summary: string;
}

/** `babymon detect FILE --jsonl` with `extra` options and env: wall and CPU time, peak RSS, its summary line. */
export async function timeDetect(
  wav: string,
  extra: string[],
  env: NodeJS.ProcessEnv,
  flags: readonly string[] = NODE_FLAGS,
): Promise<DetectFigures> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...flags, CLI, "detect", wav, "--jsonl", ...extra], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const sampler = sampleProcess(child.pid!);
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  // the summary line is written just before the end: sample once more then
  child.stderr!.on("data", () => sampler.take());
  const code = await exited(child);
  const { cpuSec, peakRssMb } = sampler.stop();
  if (code !== 0) throw new Error(`detect ${extra.join(" ")} failed: ${stderr}`);
  return {
    sec: (performance.now() - t0) / 1000,
    cpuSec,
    peakRssMb,
    summary: stderr.trim().split("\n").pop() ?? "",
  };
}

export interface RealtimeFigures {
  cpuPercent: number;
  meanRssMb: number;
  peakRssMb: number;
  episodes: number;
}

/**
 * `babymon run --input WAV` at real-time pace for `minutes` (the file replayed at its own speed) with the embedded
 * MQTT broker (on a free port) and the SQLite log in `dataDir`: CPU after `warmMs`, mean RSS, peak RSS (VmHWM).
 */
export async function runRealtime(
  wav: string,
  minutes: number,
  dataDir: string,
  env: Record<string, string> = {},
  flags: readonly string[] = NODE_FLAGS,
  warmMs = 10_000,
): Promise<RealtimeFigures> {
  const port = await freePort();
  const child = spawn(process.execPath, [...flags, CLI, "run", "--input", wav], {
    env: benchEnv(dataDir, {
      BABYMON_MQTT__ENABLED: "true",
      BABYMON_MQTT__EMBEDDED_BROKER__PORT: String(port),
      BABYMON_LOGGING__LEVEL: "info",
      ...env,
    }),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let episodes = 0;
  child.stdout!.on("data", (c: Buffer) => {
    episodes += (c.toString().match(/"cry started"/g) ?? []).length;
  });
  await new Promise((r) => setTimeout(r, warmMs));
  const start = procStat(child.pid!);
  const t0 = performance.now();
  const rss: number[] = [];
  let peak = 0;
  const end = t0 + minutes * 60_000 - warmMs;
  while (performance.now() < end && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 2000));
    const s = procStat(child.pid!);
    if (s) {
      rss.push(s.rssMb);
      peak = Math.max(peak, s.peakRssMb);
    }
  }
  const stop = procStat(child.pid!);
  const wall = (performance.now() - t0) / 1000;
  child.kill("SIGTERM");
  await exited(child);
  if (!start || !stop) throw new Error(`babymon run --input ${wav} ended early (exit ${child.exitCode})`);
  return {
    cpuPercent: ((stop.cpuSec - start.cpuSec) / wall) * 100,
    meanRssMb: rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length),
    peakRssMb: Math.max(peak, stop.peakRssMb),
    episodes,
  };
}
