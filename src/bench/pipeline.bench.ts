import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeWav } from "../audio/wav.js";
import { buildMix, DEFAULT_MIX } from "../dev/mix.js";
import { PROJECT_ROOT } from "../version.js";
import { procStat } from "./proc-stat.js";

/**
 * The listening pipeline's costs, measured on the seeded evaluation mix (src/dev/mix.ts):
 * - `detect`'s real-time factor on a 30-minute file;
 * - average CPU (% of one core) and RSS of `run` processing audio at real-time speed (default 10 minutes);
 * - RSS early in and at the end of an accelerated 2-hour run (raw PCM on stdin, as fast as it goes).
 * Options: --detect-minutes 30 --realtime-minutes 10 --accelerated-hours 2
 */
const CLI = join(PROJECT_ROOT, "dist", "cli", "main.js");
function env(dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BABYMON_DATA_DIR: dataDir,
    BABYMON_MQTT__ENABLED: "false",
    BABYMON_GPIO__ENABLED: "false",
    BABYMON_LOGGING__LEVEL: "warn",
  };
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((r) => child.on("exit", (code) => r(code)));
}

/** `babymon detect FILE --jsonl` with `extra` options: wall time, peak RSS and its summary line. */
async function timeDetect(
  wav: string,
  extra: string[],
  dataDir: string,
): Promise<{ sec: number; peakRss: number; summary: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, "detect", wav, "--jsonl", ...extra], {
    env: env(dataDir),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let peakRss = 0;
  const timer = setInterval(() => {
    const s = child.pid ? procStat(child.pid) : null;
    if (s) peakRss = Math.max(peakRss, s.rssMb);
  }, 500);
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await exited(child);
  clearInterval(timer);
  if (code !== 0) throw new Error(`detect ${extra.join(" ")} failed: ${stderr}`);
  return { sec: (performance.now() - t0) / 1000, peakRss, summary: stderr.trim().split("\n").pop() ?? "" };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "detect-minutes": { type: "string", default: "30" },
      "realtime-minutes": { type: "string", default: "10" },
      "accelerated-hours": { type: "string", default: "2" },
    },
    strict: false,
    allowPositionals: true,
  });
  const detectMinutes = Number(values["detect-minutes"]);
  const realtimeMinutes = Number(values["realtime-minutes"]);
  const hours = Number(values["accelerated-hours"]);
  const dir = mkdtempSync(join(tmpdir(), "babymon-bench-"));
  try {
    const mix = await buildMix({
      ...DEFAULT_MIX,
      seed: 7,
      minutes: Math.max(detectMinutes, realtimeMinutes, 1),
    });
    const wav = join(dir, "mix.wav");
    writeFileSync(wav, encodeWav(mix.samples, 16000));
    console.log(`input: seeded evaluation mix, ${(mix.durationSec / 60).toFixed(0)} min at 16 kHz`);

    // 1. detect, as fast as possible: with the heads (as shipped) and with YAMNet's own score alone, one run each
    if (detectMinutes > 0) {
      const heads = await timeDetect(wav, [], join(dir, "detect-heads"));
      const alone = await timeDetect(wav, ["--score-source", "yamnet"], join(dir, "detect-yamnet"));
      const rt = (sec: number) => `${(mix.durationSec / sec).toFixed(1)}× real time`;
      console.log(
        `detect ${(mix.durationSec / 60).toFixed(0)} min file: heads ${heads.sec.toFixed(1)} s (${rt(heads.sec)}, peak RSS ${heads.peakRss.toFixed(0)} MB), ` +
          `YAMNet alone ${alone.sec.toFixed(1)} s (${rt(alone.sec)}, peak RSS ${alone.peakRss.toFixed(0)} MB): ` +
          `the heads take ${heads.sec / alone.sec >= 1 ? "+" : ""}${((heads.sec / alone.sec - 1) * 100).toFixed(0)} % (ratio ${(heads.sec / alone.sec).toFixed(2)}; goals ≤ +30 %, peak RSS ≤ 200 MB) — ${heads.summary}`,
      );
    }

    // 2. run at real-time speed
    if (realtimeMinutes > 0) {
      const child = spawn(process.execPath, [CLI, "run", "--input", wav], {
        env: env(join(dir, "realtime")),
        stdio: ["ignore", "ignore", "inherit"],
      });
      const warm = 10_000;
      await new Promise((r) => setTimeout(r, warm));
      const start = procStat(child.pid!);
      const t0 = performance.now();
      const rss: number[] = [];
      const end = t0 + realtimeMinutes * 60_000 - warm;
      while (performance.now() < end && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 5000));
        const s = procStat(child.pid!);
        if (s) rss.push(s.rssMb);
      }
      const stop = procStat(child.pid!);
      const wall = (performance.now() - t0) / 1000;
      child.kill("SIGTERM");
      await exited(child);
      if (start && stop) {
        const cpu = ((stop.cpuSec - start.cpuSec) / wall) * 100;
        console.log(
          `run at real time for ${realtimeMinutes} min (measured after ${warm / 1000} s warm-up): CPU ${cpu.toFixed(2)} % of one core, ` +
            `RSS mean ${(rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length)).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB ` +
            `(goals: ≤ 5 %, ≤ 160 MB)`,
        );
      }
    }

    // 3. accelerated long run: `hours` of raw PCM on stdin (the mix repeated), as fast as the pipeline goes
    if (hours > 0) {
      const child = spawn(process.execPath, [CLI, "run", "--input", "-"], {
        env: env(join(dir, "accelerated")),
        stdio: ["pipe", "ignore", "inherit"],
      });
      const pcm = Buffer.alloc(mix.samples.length * 2);
      for (let i = 0; i < mix.samples.length; i++) {
        pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(mix.samples[i] * 32767))), i * 2);
      }
      const totalSec = hours * 3600;
      const samples: Array<{ audioSec: number; rssMb: number }> = [];
      let sentSec = 0;
      const t0 = performance.now();
      const stdin = child.stdin!;
      stdin.on("error", () => {});
      const chunk = 16000 * 2 * 10;
      while (sentSec < totalSec && child.exitCode === null) {
        for (let off = 0; off < pcm.length && sentSec < totalSec; off += chunk) {
          const part = pcm.subarray(off, Math.min(pcm.length, off + chunk));
          if (!stdin.write(part)) await new Promise((r) => stdin.once("drain", r));
          sentSec += part.length / 32000;
          const prev = samples[samples.length - 1];
          if (!prev || sentSec - prev.audioSec >= 120) {
            const s = procStat(child.pid!);
            if (s) samples.push({ audioSec: sentSec, rssMb: s.rssMb });
          }
        }
      }
      stdin.end();
      const last = procStat(child.pid!);
      await exited(child);
      const wall = (performance.now() - t0) / 1000;
      const early = samples.find((s) => s.audioSec >= 600) ?? samples[0];
      const end = last?.rssMb ?? samples[samples.length - 1].rssMb;
      const growth = ((end - early.rssMb) / early.rssMb) * 100;
      console.log(
        `accelerated ${hours} h of audio in ${(wall / 60).toFixed(1)} min (${(totalSec / wall).toFixed(1)}× real time): ` +
          `RSS ${early.rssMb.toFixed(0)} MB after ${(early.audioSec / 60).toFixed(0)} min of audio → ${end.toFixed(0)} MB at the end ` +
          `(${growth >= 0 ? "+" : ""}${growth.toFixed(1)} %; goal ≤ +10 %)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
