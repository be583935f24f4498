import type { ServerResponse } from "node:http";

const RATE = 16_000;
/** A client further behind than this (a stalled phone) is cut off rather than buffered without end. */
const MAX_BUFFERED_BYTES = RATE * 2 * 10;

/** A WAV header for an endless 16 kHz mono s16le stream (sizes at their maximum: browsers play it as it comes). */
function streamingWavHeader(): Buffer {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(0xffffffff, 4);
  h.write("WAVEfmt ", 8, "ascii");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36, "ascii");
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}

/**
 * "Listen in" (web.listen): the live 16 kHz audio as an endless WAV to the pages that asked for it. The audio
 * tap is on the audio path, so with no listener it returns at once; with one, it converts and writes.
 */
export class ListenHub {
  readonly #clients = new Set<ServerResponse>();

  get size(): number {
    return this.#clients.size;
  }

  add(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "audio/wav", "cache-control": "no-store" });
    res.write(streamingWavHeader());
    this.#clients.add(res);
    res.on("close", () => this.#clients.delete(res));
  }

  audio(samples: Float32Array): void {
    if (this.#clients.size === 0) return;
    const pcm = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) {
      pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), i * 2);
    }
    for (const c of this.#clients) {
      if (c.writableLength > MAX_BUFFERED_BYTES) c.destroy();
      else c.write(pcm);
    }
  }

  close(): void {
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}
