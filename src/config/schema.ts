import { z } from "zod";
import { learningConfigSchema } from "../learning/config.js";
import { gpioConfigSchema } from "../sinks/gpio/config.js";
import { mqttConfigSchema } from "../sinks/mqtt/config.js";
import { webConfigSchema } from "../web/config.js";

/**
 * The one schema of the daemon's configuration: types, defaults and ranges. Every module receives only its
 * own slice (`Config["audio"]`, `Config["detection"]`, …). To add a slice: define its schema next to the
 * module that uses it, import it here and add one key to `configSchema`.
 */

const seconds = (min: number, max: number, def: number) => z.number().min(min).max(max).default(def);

export const audioConfigSchema = z
  .object({
    /** Where audio comes from. `auto`: `input` when set (file path, `-` for stdin, or URL), else the microphone. */
    source: z.enum(["auto", "mic", "file", "stdin", "url"]).default("auto"),
    /** ALSA capture device for the microphone (`arecord -L` / `babymon devices`). */
    device: z.string().min(1).default("default"),
    /** Rate asked from the capture device, the stdin stream or ffmpeg; anything but 16000 is resampled. */
    sampleRate: z.number().int().min(8000).max(192000).default(16000),
    /** File path, `-` (stdin) or `rtsp://`/`http(s)://` URL; `babymon run --input` sets it. */
    input: z.string().min(1).nullable().default(null),
    /** File replay: real-time pacing (true) or as fast as possible (false). */
    realtime: z.boolean().default(true),
    /** No audio from the capture process for this long → `stalled`, and it is restarted. */
    stallTimeoutSec: seconds(1, 300, 5),
    /** Restart backoff of the capture process: doubles from `restartMinSec` up to `restartMaxSec`. */
    restartMinSec: seconds(0.05, 60, 0.5),
    restartMaxSec: seconds(0.1, 3600, 30),
    /** For the network source: reconnect forever (true) or stop when the stream ends. */
    reconnect: z.boolean().default(true),
  })
  .strict()
  .refine((a) => a.restartMaxSec >= a.restartMinSec, {
    message: "at least `audio.restartMinSec`",
    path: ["restartMaxSec"],
  });

export const windowsConfigSchema = z
  .object({
    /** Seconds between the starts of consecutive 0.96 s windows. */
    hopSec: seconds(0.1, 0.96, 0.48),
    gate: z
      .object({
        /** Skip inference for quiet windows (saves CPU). Off by default. */
        enabled: z.boolean().default(false),
        /** Windows below this level (dBFS) are skipped… */
        floorDbfs: z.number().min(-120).max(0).default(-65),
        /** …and, when adaptive, also windows within `marginDb` of the tracked noise floor, but never any
         * window louder than `floorDbfs + maxRaiseDb`, so a loud cry is never hidden. */
        adaptive: z.boolean().default(true),
        marginDb: z.number().min(0).max(40).default(6),
        maxRaiseDb: z.number().min(0).max(60).default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const inferenceConfigSchema = z
  .object({
    /** `yamnet`: YAMNet's own cry classes; `heads`: the trained heads (required); `auto`: heads when present. */
    scoreSource: z.enum(["auto", "yamnet", "heads"]).default("auto"),
    /** Folder of the TF.js YAMNet model built by `npm run models`; null = the project's models/yamnet. */
    yamnetDir: z.string().min(1).nullable().default(null),
    /** Folder of the trained heads; null = look in the project's models/. */
    headsDir: z.string().min(1).nullable().default(null),
    backend: z.enum(["auto", "node", "wasm", "cpu"]).default("auto"),
    /** Windows waiting for inference beyond this are dropped (oldest first) and counted. */
    maxQueuedWindows: z.number().int().min(1).max(1000).default(8),
    /** Windows analysed in one call when several are waiting. */
    maxBatch: z.number().int().min(1).max(32).default(4),
  })
  .strict();

export const detectionConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Cry probability a window must exceed to count as crying; null = the default of the score in use
     * (YAMNet's own cry score 0.4, trained heads 0.75 — tuned on the evaluation mix). */
    threshold: z.number().gt(0).lt(1).nullable().default(null),
    /** Onset: `onsetK` of the last `onsetN` windows over the threshold. */
    onsetK: z.number().int().min(1).max(20).default(3),
    onsetN: z.number().int().min(1).max(20).default(4),
    /** …or a single window at or above this probability (1 = off); null = per score (YAMNet 0.8, heads off). */
    onsetStrong: z.number().gt(0).max(1).nullable().default(null),
    /** A window where YAMNet hears laughter above this (and above its cry score) is not crying; 1 = off. */
    laughterVeto: z.number().min(0).max(1).default(0.2),
    /** Onset also needs YAMNet's own cry score at or above this in one of the last `onsetN` windows (0 = off);
     * null = the heads' operating point (manifest `thresholds.yamnetSupport`), else off. */
    yamnetSupport: z.number().min(0).max(1).nullable().default(null),
    /** Release: this long without a crying window ends the episode. */
    holdSec: seconds(0, 120, 6),
    /** Episodes shorter than this (start to last crying window) are dropped as false alarms at their end. */
    minDurationSec: seconds(0, 60, 0),
    /** After an episode ends, no new one starts for this long. */
    cooldownSec: seconds(0, 600, 3),
    /** An episode longer than this is ended and a new one started at once. */
    maxDurationSec: seconds(10, 86400, 600),
    /** Provisional reason this long after the start. */
    provisionalAfterSec: seconds(0.5, 120, 5),
    /** Reason below this probability (averaged over the episode) is reported as `unsure`. */
    unsureBelow: z.number().min(0).max(1).default(0.5),
  })
  .strict()
  .refine((d) => d.onsetK <= d.onsetN, {
    message: "at most `detection.onsetN`",
    path: ["onsetK"],
  });

export const storageConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** SQLite file; null = babymon.db in the data directory. */
    path: z.string().min(1).nullable().default(null),
    /** Episodes and health rows older than this are deleted. */
    retentionDays: z.number().min(1).max(36500).default(365),
    /** When the database file grows beyond this, the oldest rows are deleted. */
    maxSizeMb: z.number().min(1).max(100000).default(200),
    windowLog: z
      .object({
        /** The window log (time, level, cry probability) behind the page's night timeline and `babymon report`. */
        enabled: z.boolean().default(true),
        /** One row for every `every` windows: the first one's time, the loudest level, the highest cry probability. */
        every: z.number().int().min(1).max(10000).default(10),
        retentionDays: z.number().min(0.01).max(3650).default(7),
      })
      .strict()
      .prefault({}),
    clips: z
      .object({
        /** Store the audio of episodes (WAV, 16 kHz). Off by default: no audio is stored unless turned on. */
        enabled: z.boolean().default(false),
        /** Folder; null = clips/ in the data directory. */
        dir: z.string().min(1).nullable().default(null),
        preRollSec: seconds(0, 10, 2),
        /** Clip length cap. */
        maxSec: seconds(1, 600, 60),
        retentionDays: z.number().min(0.01).max(3650).default(7),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const loggingConfigSchema = z
  .object({
    level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Seconds between health events (also logged at debug). */
    healthEverySec: seconds(1, 3600, 30),
  })
  .strict();

export const configSchema = z
  .object({
    /** Folder for the database and clips; null = $BABYMON_DATA_DIR, /var/lib/babymon or ~/.local/share/babymon. */
    dataDir: z.string().min(1).nullable().default(null),
    audio: audioConfigSchema.prefault({}),
    windows: windowsConfigSchema.prefault({}),
    inference: inferenceConfigSchema.prefault({}),
    detection: detectionConfigSchema.prefault({}),
    storage: storageConfigSchema.prefault({}),
    logging: loggingConfigSchema.prefault({}),
    mqtt: mqttConfigSchema.prefault({}),
    gpio: gpioConfigSchema.prefault({}),
    web: webConfigSchema.prefault({}),
    learning: learningConfigSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type AudioConfig = Config["audio"];
export type WindowsConfig = Config["windows"];
export type InferenceConfig = Config["inference"];
export type DetectionConfig = Config["detection"];
export type StorageConfig = Config["storage"];
export type LoggingConfig = Config["logging"];
