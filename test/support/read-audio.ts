import { type AudioStream, type OpenAudioOptions, openAudioFile } from "../../src/audio/decode.js";

/** A whole audio file at its own sample rate, read the way babymon reads files: openAudioFile's chunks. */
export async function readWholeFile(
  path: string,
  options?: OpenAudioOptions,
): Promise<Pick<AudioStream, "format" | "sampleRate" | "channels" | "frames"> & { samples: Float32Array }> {
  const stream = await openAudioFile(path, options);
  const chunks: Float32Array[] = [];
  for await (const chunk of stream.chunks()) chunks.push(chunk);
  const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => {
    samples.set(c, at);
    return at + c.length;
  }, 0);
  const { format, sampleRate, channels, frames } = stream;
  return { format, sampleRate, channels, frames, samples };
}
