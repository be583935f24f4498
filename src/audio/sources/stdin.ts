import { StreamingResampler } from "../../dsp/resample.js";
import { S16Decoder } from "./s16-decoder.js";
import type { AudioSource, SourceHandlers } from "./source.js";

const WAV_ON_STDIN =
  "stdin holds a WAV file (RIFF/WAVE header), but `--input -` reads raw s16le mono PCM at audio.sampleRate: use `babymon run --input FILE.wav`, or strip the header: `sox FILE.wav -t raw -r 16000 -e signed -b 16 -c 1 - | babymon run --input -`";

function isWavHeader(b: Buffer): boolean {
  return b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WAVE";
}

/** Raw s16le mono PCM on stdin at `sampleRate`, read with backpressure; ends at end of input. */
export class StdinSource implements AudioSource {
  readonly lossless = true;
  readonly replayClock = false;
  readonly restarts = 0;
  readonly description: string;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  private current: "online" | "offline" = "offline";
  private stopped = false;

  constructor(
    private readonly sampleRate: number,
    private readonly input: NodeJS.ReadableStream = process.stdin,
  ) {
    this.description = `raw s16le PCM on stdin (${sampleRate} Hz)`;
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
    const decoder = new S16Decoder();
    const resampler = this.sampleRate === 16000 ? null : new StreamingResampler(this.sampleRate, 16000);
    this.current = "online";
    handlers.status("online", this.description);
    const feed = async (bytes: Buffer) => {
      const raw = decoder.decode(bytes);
      const samples = resampler ? resampler.process(raw) : raw;
      if (samples.length > 0) await handlers.data(samples);
    };
    void (async () => {
      let head: Buffer | null = Buffer.alloc(0);
      try {
        for await (const chunk of this.input) {
          if (this.stopped) break;
          let bytes = chunk as Buffer;
          if (head) {
            // the first 12 bytes: a WAV file's RIFF/WAVE header would be decoded as a click and noise
            head = Buffer.concat([head, bytes]);
            if (head.length < 12) continue;
            if (isWavHeader(head)) throw new Error(WAV_ON_STDIN);
            bytes = head;
            head = null;
          }
          await feed(bytes);
        }
        // an input shorter than a header goes the same way as any other audio, before the resampler's tail
        if (head && head.length > 0 && !this.stopped) await feed(head);
        if (resampler && !this.stopped) {
          const tail = resampler.flush();
          if (tail.length > 0) await handlers.data(tail);
        }
      } catch (err) {
        this.current = "offline";
        handlers.status("offline", (err as Error).message);
        this.rejectDone(err as Error);
        return;
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
