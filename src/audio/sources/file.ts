import { setTimeout as sleep } from "node:timers/promises";
import { chunks16k, openAudioFile } from "../decode.js";
import type { AudioSource, SourceHandlers } from "./source.js";

const PACED_CHUNK = 1600; // 0.1 s at 16 kHz

/** A file (WAV natively, other formats via ffmpeg) replayed at real-time pace or as fast as possible. */
export class FileSource implements AudioSource {
  readonly lossless: boolean;
  readonly replayClock = true;
  readonly restarts = 0;
  readonly description: string;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: unknown) => void;
  private stopped = false;
  private current: "online" | "offline" = "offline";

  constructor(
    private readonly path: string,
    private readonly realtime: boolean,
  ) {
    this.lossless = !realtime;
    this.description = `file ${path}${realtime ? " (real-time)" : " (fast)"}`;
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  status() {
    return this.current;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const stream = await openAudioFile(this.path);
    this.current = "online";
    handlers.status("online", this.description);
    void (async () => {
      const t0 = performance.now();
      let sent = 0;
      try {
        for await (const chunk of chunks16k(stream)) {
          for (
            let off = 0;
            off < chunk.length && !this.stopped;
            off += this.realtime ? PACED_CHUNK : chunk.length
          ) {
            const part = this.realtime ? chunk.subarray(off, off + PACED_CHUNK) : chunk;
            if (this.realtime) {
              const due = t0 + ((sent + part.length) / 16000) * 1000;
              const wait = due - performance.now();
              if (wait > 0) await sleep(wait);
            }
            sent += part.length;
            await handlers.data(part);
          }
          if (this.stopped) break;
        }
        await stream.close();
        this.current = "offline";
        handlers.status("offline", "end of file");
        this.resolveDone();
      } catch (err) {
        await stream.close().catch(() => {});
        this.current = "offline";
        handlers.status("offline", (err as Error).message);
        this.rejectDone(err);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
