import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeWav, encodeWav } from "../audio/wav.js";
import { PATCH_WINDOW_SAMPLES } from "../dsp/frontend-params.js";
import { LogMelFrontend } from "../dsp/logmel.js";
import { resample, StreamingResampler } from "../dsp/resample.js";
import { DEFAULT_YAMNET_DIR } from "../inference/yamnet.js";
import { buildYamnetModel } from "../inference/yamnet-build.js";
import { PROJECT_ROOT } from "../version.js";

/**
 * Frontend section of `npm run bench`: log-mel ms per second of audio (whole-signal frames and the daemon's
 * per-window patches), resampling ms per second of 44.1 / 48 / 8 kHz audio (one-shot and streamed in
 * 4096-sample chunks), and `babymon classify` on a 10-minute 44.1 kHz file built from ../shared clips, run as
 * a child process: wall time, real-time factor, peak RSS.
 */

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function noise(n: number, seed = 1): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.5;
  }
  return out;
}

function time(reps: number, fn: () => void): number {
  fn(); // warm-up
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

function benchLogMel(): void {
  const seconds = 10;
  const x = noise(16000 * seconds);
  const fe = new LogMelFrontend();
  const frames = time(7, () => fe.frames(x)) / seconds;
  const window = x.subarray(0, PATCH_WINDOW_SAMPLES);
  const out = new Float32Array(96 * 64);
  const perPatch = time(50, () => fe.patch(window, out));
  // the daemon computes one patch per 0.48 s hop
  console.log(`log-mel: ${frames.toFixed(3)} ms per second of audio (frames of a 10 s signal)`);
  console.log(
    `log-mel: ${perPatch.toFixed(3)} ms per 0.975 s patch = ${(perPatch / 0.48).toFixed(3)} ms per second of streamed audio (hop 0.48 s)`,
  );
}

function benchResample(): void {
  for (const rate of [44100, 48000, 8000]) {
    const seconds = 10;
    const x = noise(rate * seconds, rate);
    const oneShot = time(5, () => resample(x, rate, 16000)) / seconds;
    const streamed =
      time(5, () => {
        const r = new StreamingResampler(rate, 16000);
        for (let i = 0; i < x.length; i += 4096) r.process(x.subarray(i, i + 4096));
        r.flush();
      }) / seconds;
    console.log(
      `resample ${rate} → 16000 Hz: ${oneShot.toFixed(3)} ms per second of audio (one-shot), ${streamed.toFixed(3)} ms (4096-sample chunks)`,
    );
  }
}

/** A 10-minute 44.1 kHz mono WAV made of the shared 44.1 kHz clips, repeated. */
function buildLongFile(dir: string, seconds: number): string {
  const examples = join(PROJECT_ROOT, "..", "shared", "examples");
  const parts = ["baby_5000ms.wav", "baby_975ms.wav"].map(
    (f) => decodeWav(readFileSync(join(examples, f)), f).samples,
  );
  const rate = 44100;
  const total = seconds * rate;
  const x = new Float32Array(total);
  let at = 0;
  for (let k = 0; at < total; k++) {
    const p = parts[k % parts.length];
    x.set(p.subarray(0, Math.min(p.length, total - at)), at);
    at += p.length;
  }
  const path = join(dir, "ten-minutes.wav");
  writeFileSync(path, encodeWav(x, rate));
  return path;
}

async function benchClassify(): Promise<void> {
  const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
  if (!existsSync(join(DEFAULT_YAMNET_DIR, "manifest.json"))) await buildYamnetModel({});
  const seconds = 600;
  const dir = mkdtempSync(join(tmpdir(), "babymon-bench-"));
  try {
    const file = buildLongFile(dir, seconds);
    const useTime = existsSync("/usr/bin/time");
    const cmd = useTime ? "/usr/bin/time" : process.execPath;
    const args = [...(useTime ? ["-v", process.execPath] : []), cli, "classify", file, "--json"];
    const t0 = performance.now();
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const child = spawn(cmd, args, { env: { ...process.env, BABYMON_REPORT_RSS: "1" } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (c) => resolve({ code: c, stdout, stderr }));
    });
    const wallMs = performance.now() - t0;
    if (code !== 0) {
      console.log(`classify on a 10-minute file failed (exit ${code}): ${stderr.trim().split("\n").pop()}`);
      return;
    }
    const out = JSON.parse(stdout) as {
      backend: string;
      models: { heads: string | null };
      files: Array<{ patches: number; elapsedMs: number }>;
    };
    const f = out.files[0];
    const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
    const selfRss = /maxRSS (\d+) kB/.exec(stderr)?.[1];
    const rssKb = Number(timeRss ?? selfRss);
    console.log(
      `classify, 10-minute 44.1 kHz WAV (${f.patches} patches, backend ${out.backend}, heads ${out.models.heads ?? "none"}): ${(wallMs / 1000).toFixed(1)} s wall incl. startup and model load → real-time factor ${(wallMs / 1000 / seconds).toFixed(4)} (${(f.elapsedMs / 1000).toFixed(1)} s decode+resample+analyse → ${(f.elapsedMs / 1000 / seconds).toFixed(4)})`,
    );
    console.log(
      `classify peak RSS: ${(rssKb / 1024).toFixed(1)} MB (${timeRss ? "/usr/bin/time -v" : "process.resourceUsage().maxRSS"})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  benchLogMel();
  benchResample();
  if (args.includes("--no-classify")) return;
  await benchClassify();
}
