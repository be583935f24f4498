import { StreamingResampler } from "../../dsp/resample.js";
import { S16Decoder } from "./s16-decoder.js";
import type { AudioSource, SourceHandlers } from "./source.js";

/** Raw s16le mono PCM on stdin at `sampleRate`, read with backpressure; ends at end of input. */
export class StdinSource implements AudioSource {
  readonly lossless = true;
  readonly replayClock = false;
  readonly restarts = 0;
  readonly description: string;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private current: "online" | "offline" = "offline";
  private stopped = false;

  constructor(
    private readonly sampleRate: number,
    private readonly input: NodeJS.ReadableStream = process.stdin,
  ) {
    this.description = `raw s16le PCM on stdin (${sampleRate} Hz)`;
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
  }

  status() {
    return this.current;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const decoder = new S16Decoder();
    const resampler = this.sampleRate === 16000 ? null : new StreamingResampler(this.sampleRate, 16000);
    this.current = "online";
    handlers.status("online", this.description);
    void (async () => {
      try {
        for await (const chunk of this.input) {
          if (this.stopped) break;
          const raw = decoder.decode(chunk as Buffer);
          const samples = resampler ? resampler.process(raw) : raw;
          if (samples.length > 0) await handlers.data(samples);
        }
        if (resampler && !this.stopped) {
          const tail = resampler.flush();
          if (tail.length > 0) await handlers.data(tail);
        }
      } catch (err) {
        handlers.status("offline", (err as Error).message);
      }
      this.current = "offline";
      handlers.status("offline", "end of input");
      this.resolveDone();
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resolveDone();
  }
}
