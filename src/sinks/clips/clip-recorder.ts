import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SampleRingBuffer } from "../../audio/ring-buffer.js";
import { encodeWav } from "../../audio/wav.js";
import type { StorageConfig } from "../../config/schema.js";
import type { BabymonEvent } from "../../events.js";
import type { Logger } from "../../logging.js";
import type { Sink } from "../sink.js";
import type { Db } from "../sqlite/database.js";
import { diskMonitorOf, isDiskError } from "../sqlite/disk-monitor.js";

const RATE = 16000;
/** Extra audio kept beyond the pre-roll: the onset is reported ~1–2 s after the episode's start. */
const REPORT_DELAY_SEC = 4;
const DAY_MS = 86_400_000;

interface OpenClip {
  id: string;
  from: number;
  parts: Float32Array[];
  samples: number;
}

/**
 * Episode clips (off by default): the audio of each episode, from `preRollSec` before its start, up to `maxSec`,
 * written as 16 kHz WAV into the clips folder and linked from the episode row. Clips older than their own
 * `retentionDays` are deleted. Nothing is kept outside episodes beyond a few seconds in memory.
 *
 * A sink `after` SQLite: it sees each episode event only once the SQLite sink has written that episode's row, so
 * linking the clip to the row cannot race it. The audio comes straight from the pipeline (`audio`): it only copies.
 *
 * A clip is written to `<id>.wav.part` and renamed once complete, so a full disk never leaves a 0-byte or cut-off
 * `.wav`: the part file is removed on failure (and any left by a kill is removed at start).
 */
export class ClipRecorder implements Sink {
  readonly name = "clips";
  readonly after = "sqlite";
  private readonly ring: SampleRingBuffer;
  private open: OpenClip | null = null;
  private readonly dir: string;

  constructor(
    private readonly config: StorageConfig["clips"],
    private readonly db: Db,
    defaultDir: string,
    private readonly logger: Logger,
  ) {
    this.dir = config.dir ?? defaultDir;
    this.ring = new SampleRingBuffer(Math.ceil((config.preRollSec + REPORT_DELAY_SEC) * RATE));
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const removed = this.removePartial();
    if (removed.length > 0) this.logger.warn({ removed }, "removed unfinished episode clips");
  }

  /** Unfinished clips: part files and empty WAVs (written by an older version or cut off by a kill). */
  private removePartial(): string[] {
    const removed: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      const partial = name.endsWith(".wav.part") || (name.endsWith(".wav") && statSync(path).size <= 44);
      if (!partial) continue;
      ClipRecorder.removeFile(path);
      removed.push(path);
    }
    return removed;
  }

  audio(samples: Float32Array): void {
    this.ring.write(samples);
    const clip = this.open;
    if (clip && clip.samples < this.config.maxSec * RATE) {
      const take = samples.subarray(0, Math.min(samples.length, this.config.maxSec * RATE - clip.samples));
      clip.parts.push(take.slice());
      clip.samples += take.length;
    }
  }

  async handle(event: BabymonEvent): Promise<void> {
    if (event.type === "episode_start") {
      if (this.open) this.write(this.open);
      const wanted = Math.round((event.episode.startSec - this.config.preRollSec) * RATE);
      const from = Math.max(this.ring.start, Math.min(wanted, this.ring.end));
      const head = this.ring.read(from, this.ring.end - from);
      this.open = { id: event.episode.id, from, parts: [head], samples: head.length };
    } else if (event.type === "episode_end" && this.open?.id === event.episode.id) {
      const clip = this.open;
      this.open = null;
      this.write(clip);
    }
  }

  /** The pipeline closes the open episode before the sinks stop, so its end has been handled by now. */
  async stop(): Promise<void> {}

  private write(clip: OpenClip): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const samples = new Float32Array(clip.samples);
      let at = 0;
      for (const p of clip.parts) {
        samples.set(p.subarray(0, samples.length - at), at);
        at += Math.min(p.length, samples.length - at);
      }
      const path = join(this.dir, `${clip.id}.wav`);
      const part = `${path}.part`;
      try {
        writeFileSync(part, encodeWav(samples, RATE));
        renameSync(part, path);
      } catch (err) {
        ClipRecorder.removeFile(part);
        if (isDiskError(err)) diskMonitorOf(this.db).failed("episode clip", err, part);
        throw err;
      }
      this.db.prepare("UPDATE episodes SET clip_path = ? WHERE id = ?").run(path, clip.id);
      this.retention();
    } catch (err) {
      this.logger.error({ err: (err as Error).message, episode: clip.id }, "could not write episode clip");
    }
  }

  retention(now = Date.now()): number {
    const cutoff = now - this.config.retentionDays * DAY_MS;
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(".wav")) continue;
      const path = join(this.dir, name);
      if (statSync(path).mtimeMs < cutoff) {
        ClipRecorder.removeFile(path);
        this.db.prepare("UPDATE episodes SET clip_path = NULL WHERE clip_path = ?").run(path);
        removed++;
      }
    }
    return removed;
  }

  static removeFile(path: string): void {
    rmSync(path, { force: true });
  }
}
