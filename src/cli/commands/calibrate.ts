import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import YAML from "yaml";
import { detectionForModels, loadAnalyzer } from "../../app.js";
import { ConfigError, loadConfig } from "../../config/load.js";
import type { ResolvedDetection } from "../../detection/episodes.js";
import {
  calibrateForRoom,
  DEFAULT_ROOM_BUDGET_PER_HOUR,
  type ReplayedEpisode,
  type RoomOperatingPoint,
  type RoomRecording,
} from "../../detection/room-calibration.js";
import { WINDOW_SEC } from "../../detection/windows.js";
import type { BabymonEvent } from "../../events.js";
import { createLogger } from "../../logging.js";
import { configFileOf, loadConfigOrExit, withConfigOption } from "../config-options.js";
import { replayFile } from "../file-replay.js";
import { orExit } from "../or-exit.js";

const clock = (sec: number) => {
  const s = Math.floor(sec);
  return `${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

const describePoint = (d: ResolvedDetection, p: RoomOperatingPoint) =>
  `threshold ${p.threshold}, onset ${d.onsetK} of ${d.onsetN}, ${p.onsetStrong < 1 ? `or one window ≥ ${p.onsetStrong}` : "one-window onset off"}`;

/**
 * Writes `point` as detection.threshold and detection.onsetStrong into the YAML config `file` (created when
 * missing), keeping its other keys and comments; the result is validated before it replaces the file.
 */
export function writeRoomCalibration(file: string, point: RoomOperatingPoint, note: string): void {
  const doc = YAML.parseDocument(existsSync(file) ? readFileSync(file, "utf8") : "");
  if (doc.errors.length > 0)
    throw new ConfigError(`Config file ${file} is not valid YAML: ${doc.errors[0].message}`, []);
  doc.setIn(["detection", "threshold"], point.threshold);
  doc.setIn(["detection", "onsetStrong"], point.onsetStrong);
  const threshold = doc.getIn(["detection", "threshold"], true) as YAML.Scalar;
  threshold.comment = ` ${note}`;
  const tmp = `${file}.calibrate-tmp`;
  writeFileSync(tmp, doc.toString());
  try {
    loadConfig({ file: tmp, env: {} });
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, file);
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command("calibrate")
      .description(
        "adapt the cry threshold to your room: replay recordings of it without crying and raise the threshold until they raise at most --budget episodes per hour (default: none)",
      )
      .argument("<files...>", "recordings of the room with no crying in them (WAV, or anything ffmpeg reads)")
      .option(
        "--budget <per-hour>",
        "false episodes per hour of recording to allow (⌊budget × hours⌋ in all)",
        String(DEFAULT_ROOM_BUDGET_PER_HOUR),
      )
      .option("--write", "write detection.threshold and detection.onsetStrong into the --config file"),
  ).action(async (files: string[], opts: { config?: string; budget: string; write?: boolean }) => {
    const budget = Number(opts.budget);
    if (!(budget >= 0)) {
      process.stderr.write(`babymon: Expected \`--budget\` to be a number ≥ 0, got ${opts.budget}\n`);
      process.exit(2);
    }
    const configFile = configFileOf(opts.config);
    if (opts.write && !configFile) {
      process.stderr.write(
        "babymon: Expected `--config FILE` (or BABYMON_CONFIG) with `--write`, got neither\n",
      );
      process.exit(2);
    }
    // with --write a config file that does not exist yet is created
    const { config, origins } = loadConfigOrExit(
      opts.write && configFile && !existsSync(configFile) ? null : configFile,
    );
    const logger = createLogger(
      { level: config.logging.level === "info" ? "warn" : config.logging.level },
      2,
    );
    const analyzer = await orExit(loadAnalyzer(config.inference, logger));
    const detection = {
      ...detectionForModels(config.detection, origins, analyzer),
      enabled: true,
    };
    const recordings: RoomRecording[] = [];
    for (const file of files) {
      const windows: RoomRecording["windows"] = [];
      const emit = (e: BabymonEvent) => {
        if (e.type === "window")
          windows.push({
            startSec: e.timeSec,
            endSec: e.timeSec + WINDOW_SEC,
            cry: e.cry,
            yamnetCry: e.yamnetCry,
            levelDbfs: e.levelDbfs,
          });
      };
      await orExit(replayFile({ file, config, analyzer, detection, emit, logger, newEpisodeId: () => "" }));
      const durationSec = windows.length > 0 ? windows[windows.length - 1].endSec : 0;
      recordings.push({ name: file, windows, durationSec });
    }
    analyzer.dispose();

    const cal = calibrateForRoom(recordings, detection, budget);
    const list = (episodes: Array<{ recording: string; episode: ReplayedEpisode }>) =>
      episodes.map(
        ({ recording, episode: e }) => `  ${recording} at ${clock(e.detectedSec)}, peak ${e.peak.toFixed(3)}`,
      );
    const out = [
      `calibrate: ${recordings.length} recording(s), ${cal.hours.toFixed(2)} h; cry score ${analyzer.models.heads ?? "YAMNet classes 19–21"}; budget ${budget} per hour → at most ${cal.allowed} episode(s)`,
      `now (${describePoint(detection, detection)}): ${cal.before.length} episode(s) — each is a false alarm if nobody cried:`,
      ...list(cal.before),
    ];
    if (!cal.point) {
      out.push(
        `no threshold up to 0.999 keeps these recordings within ${cal.allowed} episode(s); if the baby cried in them, cut those parts out and run again`,
      );
      process.stdout.write(`${out.join("\n")}\n`);
      process.exit(1);
    }
    const changed =
      cal.point.threshold !== detection.threshold || cal.point.onsetStrong !== detection.onsetStrong;
    if (!changed) {
      out.push("nothing to change: the current operating point is within the budget");
      process.stdout.write(`${out.join("\n")}\n`);
      return;
    }
    out.push(
      `calibrated (${describePoint(detection, cal.point)}): ${cal.after.length} episode(s)`,
      ...list(cal.after),
      "config:",
      "  detection:",
      `    threshold: ${cal.point.threshold}`,
      `    onsetStrong: ${cal.point.onsetStrong}`,
    );
    for (const key of ["detection.threshold", "detection.onsetStrong"]) {
      const from = origins[key];
      if (from && from !== (configFile ? resolve(configFile) : null))
        out.push(`note: ${key} is also set by ${from}, which overrides the config file`);
    }
    if (opts.write && configFile) {
      const note = `babymon calibrate ${new Date().toISOString().slice(0, 10)}, ${analyzer.models.heads ?? "YAMNet"}, ${cal.hours.toFixed(1)} h of recordings`;
      try {
        writeRoomCalibration(resolve(configFile), cal.point, note);
      } catch (err) {
        process.stderr.write(`babymon: ${(err as Error).message}\n`);
        process.exit(1);
      }
      out.push(`wrote detection.threshold and detection.onsetStrong to ${resolve(configFile)}`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
  });
}
