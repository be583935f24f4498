import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeWav } from "../audio/wav.js";
import { buildMix, DEFAULT_MIX } from "../dev/mix.js";
import { readDetector } from "../inference/detector.js";
import { PROJECT_ROOT } from "../version.js";
import {
  benchEnv,
  CLI,
  type DetectFigures,
  exited,
  nodeFlags,
  runRealtime,
  timeDetect,
} from "./daemon-runs.js";
import { procStat } from "./proc-stat.js";

/**
 * The listening pipeline's costs, measured on the seeded evaluation mix (src/dev/mix.ts):
 * - `detect` on a 30-minute file with YAMNet's own score alone, the heads, and the heads manifest's `detector`
 *   block when it has one: wall and CPU time, peak RSS, and the detector's (else the heads') cost as a ratio to
 *   YAMNet alone, in one run;
 * - CPU (% of one core), mean and peak RSS of `run` at real-time speed (default 10 minutes) with the embedded
 *   broker and the SQLite log in a temp data dir (the models as `auto` picks them);
 * - RSS early in and at the end of an accelerated 2-hour run (raw PCM on stdin, as fast as it goes).
 * Options: --detect-minutes 30 --realtime-minutes 10 --accelerated-hours 2 --heads-dir models/babymon-heads
 * --no-node-flags (node without NODE_FLAGS, to see what they save)
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "detect-minutes": { type: "string", default: "30" },
      "realtime-minutes": { type: "string", default: "10" },
      "accelerated-hours": { type: "string", default: "2" },
      "heads-dir": { type: "string", default: join(PROJECT_ROOT, "models", "babymon-heads") },
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

    // 1. detect, as fast as possible: YAMNet alone, the heads, the detector block (if any), one run each
    const headsDir = String(values["heads-dir"]);
    const flags = nodeFlags(args);
    console.log(
      `node flags of the measured processes: ${flags.length > 0 ? flags.join(" ") : "none (--no-node-flags)"}`,
    );
    const detector = readDetector(headsDir);
    const withHeads = { BABYMON_INFERENCE__HEADS_DIR: headsDir };
    if (detectMinutes > 0) {
      const detect = (name: string, extra: string[]) =>
        timeDetect(wav, extra, benchEnv(join(dir, `detect-${name}`), withHeads), flags);
      const alone = await detect("yamnet", ["--score-source", "yamnet"]);
      const heads = await detect("heads", ["--score-source", "heads"]);
      const det = detector ? await detect("detector", ["--score-source", "auto"]) : null;
      const line = (name: string, f: DetectFigures) =>
        `  ${name.padEnd(34)} ${f.sec.toFixed(1).padStart(6)} s wall (${(mix.durationSec / f.sec).toFixed(1)}× real time), ` +
        `${f.cpuSec.toFixed(1).padStart(6)} s CPU, peak RSS ${f.peakRssMb.toFixed(0)} MB — ${f.summary.replace(/^detect: [^:]*: /, "")}`;
      console.log(`detect ${(mix.durationSec / 60).toFixed(0)} min file (${headsDir}):`);
      console.log(line("YAMNet alone", alone));
      console.log(line("heads (scoreSource heads)", heads));
      if (det) console.log(line(`detector (${detector?.source})`, det));
      else console.log(`  detector: ${headsDir}/manifest.json has no \`detector\` block`);
      const measured = det ?? heads;
      const ratio = (f: DetectFigures) =>
        `${(f.cpuSec / alone.cpuSec).toFixed(2)} CPU, ${(f.sec / alone.sec).toFixed(2)} wall`;
      console.log(
        `  ratio to YAMNet alone: heads ${ratio(heads)}${det ? `; detector ${ratio(det)}` : ""} (goal ≤ 1.3); ` +
          `peak RSS of detect with the ${det ? "detector" : "heads"} ${measured.peakRssMb.toFixed(0)} MB (goal ≤ 200 MB)`,
      );
    }

    // 2. run at real-time speed, with the embedded broker and SQLite
    if (realtimeMinutes > 0) {
      const f = await runRealtime(wav, realtimeMinutes, join(dir, "realtime"), withHeads, flags);
      const models = detector ? `the detector (${detector.source})` : "the heads";
      console.log(
        `run at real time for ${realtimeMinutes} min with ${models}, embedded broker and SQLite (CPU after 10 s warm-up): ` +
          `CPU ${f.cpuPercent.toFixed(2)} % of one core, RSS mean ${f.meanRssMb.toFixed(0)} MB, peak ${f.peakRssMb.toFixed(0)} MB ` +
          `(VmHWM), ${f.episodes} episode(s) (goals: ≤ 5 %, peak ≤ 160 MB)`,
      );
    }

    // 3. accelerated long run: `hours` of raw PCM on stdin (the mix repeated), as fast as the pipeline goes
    if (hours > 0) {
      const child = spawn(process.execPath, [...flags, CLI, "run", "--input", "-"], {
        env: benchEnv(join(dir, "accelerated"), {
          BABYMON_INFERENCE__HEADS_DIR: String(values["heads-dir"]),
        }),
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
