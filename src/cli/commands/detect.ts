import type { Command } from "commander";
import { detectionForModels, loadAnalyzer } from "../../app.js";
import { EpisodeEnds } from "../../detection/episode-ends.js";
import type { BabymonEvent } from "../../events.js";
import { createLogger } from "../../logging.js";
import { round } from "../../util/round.js";
import { loadConfigOrExit, withConfigOption } from "../config-options.js";
import { replayFile } from "../file-replay.js";
import { orExit } from "../or-exit.js";

/** One `detect --jsonl` line per episode (see README "detect --jsonl schema"). */
export interface EpisodeLine {
  type: "episode";
  id: number;
  start: number;
  end: number;
  /** when the episode was reported: end of the window that completed the onset (seconds from file start) */
  detected: number;
  peak: number;
  reason: string;
  confidence: number;
  probabilities: Record<string, number> | null;
  level: number;
  /** reason given ~5 s in (null when the episode ended earlier) */
  provisionalReason: string | null;
}

export interface WindowLine {
  type: "window";
  time: number;
  level: number;
  cry: number;
  gated: boolean;
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command("detect")
      .description("run the listening pipeline and episode logic over a file as fast as possible")
      .argument("<file>", "audio file (WAV, or anything ffmpeg reads)")
      .option("--jsonl", "one JSON object per line on stdout (episodes; with --windows also windows)")
      .option("--windows", "also one line per window: time, level, cry probability")
      .option("--threshold <p>", "cry threshold (overrides detection.threshold)")
      .option("--score-source <source>", "auto, yamnet or heads (overrides inference.scoreSource)"),
  ).action(
    async (
      file: string,
      opts: { config?: string; jsonl?: boolean; windows?: boolean; threshold?: string; scoreSource?: string },
    ) => {
      const overrides: Record<string, unknown> = {};
      if (opts.threshold !== undefined) overrides["detection.threshold"] = Number(opts.threshold);
      if (opts.scoreSource !== undefined) overrides["inference.scoreSource"] = opts.scoreSource;
      const { config, origins } = loadConfigOrExit(opts.config, overrides);
      const logger = createLogger(
        { level: config.logging.level === "info" ? "warn" : config.logging.level },
        2,
      );
      const analyzer = await orExit(loadAnalyzer(config.inference, logger));
      let n = 0;
      let windows = 0;
      const ends = new EpisodeEnds();
      const out: string[] = [];
      const flush = () => {
        if (out.length > 0) process.stdout.write(`${out.join("\n")}\n`);
        out.length = 0;
      };
      const write = (line: EpisodeLine | WindowLine) => {
        if (opts.jsonl) out.push(JSON.stringify(line));
        else if (line.type === "episode") {
          out.push(
            `episode ${line.id}: ${line.start.toFixed(2)}–${line.end.toFixed(2)} s, detected at ${line.detected.toFixed(2)} s, ` +
              `peak ${line.peak.toFixed(2)}, reason ${line.reason}${line.probabilities ? ` (${Math.round(line.confidence * 100)} %)` : ""}`,
          );
        } else
          out.push(`${line.time.toFixed(2)} s  ${line.level.toFixed(1)} dBFS  cry ${line.cry.toFixed(3)}`);
        if (out.length >= 256) flush();
      };
      const emit = (e: BabymonEvent) => {
        const ended = ends.follow(e);
        if (e.type === "window") {
          windows++;
          if (opts.windows) {
            write({
              type: "window",
              time: round(e.timeSec, 3),
              level: round(e.levelDbfs, 2),
              cry: round(e.cry),
              gated: e.gated,
            });
          }
        } else if (ended) {
          const ep = ended.episode;
          write({
            type: "episode",
            id: Number(ep.id),
            start: round(ep.startSec, 3),
            end: round(ep.endSec, 3),
            detected: round(ended.detectedSec, 3),
            peak: round(ep.peak),
            reason: ep.reason,
            confidence: round(ep.confidence),
            probabilities: ep.probabilities
              ? Object.fromEntries(Object.entries(ep.probabilities).map(([k, v]) => [k, round(v)]))
              : null,
            level: round(ep.levelDbfs, 2),
            provisionalReason: ended.provisionalReason,
          });
        }
      };
      const detection = detectionForModels(config.detection, origins, analyzer);
      const t0 = performance.now();
      await orExit(
        replayFile({ file, config, analyzer, detection, emit, logger, newEpisodeId: () => String(++n) }),
      );
      flush();
      const sec = (performance.now() - t0) / 1000;
      const audioSec = windows > 0 ? (windows - 1) * config.windows.hopSec + 0.975 : 0;
      process.stderr.write(
        `detect: ${file}: ${n} episode(s), ${windows} windows (${audioSec.toFixed(1)} s of audio) in ${sec.toFixed(1)} s ` +
          `(${(audioSec / Math.max(sec, 1e-9)).toFixed(1)}× real time), ${analyzer.backend}, ` +
          `cry score: ${analyzer.detectorPoint ? `the detector block of ${analyzer.models.heads}` : (analyzer.models.heads ?? "YAMNet classes 19–21")}, threshold ${detection.threshold}, ` +
          `onset ${detection.onsetK} of ${detection.onsetN}${detection.onsetStrong < 1 ? ` or one window ≥ ${detection.onsetStrong}` : ""}\n`,
      );
      analyzer.dispose();
    },
  );
}
