import { type ChildProcess, spawn } from "node:child_process";
import { type FileHandle, open } from "node:fs/promises";
import { extname } from "node:path";
import { YAMNET_FRONTEND } from "../dsp/frontend-params.js";
import { StreamingResampler } from "../dsp/resample.js";
import { ffmpegExecutable } from "./ffmpeg.js";
import {
  AudioFileError,
  checkDataChunk,
  decodeFrames,
  describeFormat,
  looksLikeWav,
  parseWavHeader,
  UnsupportedWavEncodingError,
  type WavLayout,
} from "./wav.js";

/**
 * Opening any audio file: WAV natively, other containers/codecs (mp3, ogg/opus, flac, m4a/aac, 3gp/amr, …)
 * through `ffmpeg` when it is installed. The format is recognised from the file's first bytes, not its name.
 */

/** A whole file, mono, at its own sample rate. */
export interface AudioClip {
  path: string;
  /** e.g. "WAV pcm16 2ch 44100 Hz" or "ogg via ffmpeg (vorbis…)" */
  format: string;
  sampleRate: number;
  /** channels in the file (the samples are their average) */
  channels: number;
  /** mono samples in [-1, 1] */
  samples: Float32Array;
  durationSec: number;
}

/** A file being read chunk by chunk: mono samples at the file's sample rate, in order, iterated once. */
export interface AudioStream {
  readonly path: string;
  readonly format: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** frames in the file when known up front (WAV), else null (ffmpeg) */
  readonly frames: number | null;
  chunks(): AsyncGenerator<Float32Array>;
  close(): Promise<void>;
}

export interface OpenAudioOptions {
  /** ffmpeg executable; default: $BABYMON_FFMPEG or "ffmpeg" on PATH */
  ffmpegPath?: string;
  /** frames per chunk read from WAV files (default 16384) */
  chunkFrames?: number;
}

const HEAD_BYTES = 64 * 1024;

/** Magic numbers of formats handed to ffmpeg, as [name, test]. */
const FFMPEG_FORMATS: Array<[string, (h: Uint8Array) => boolean]> = [
  ["ogg", (h) => ascii(h, 0, 4) === "OggS"],
  ["flac", (h) => ascii(h, 0, 4) === "fLaC"],
  ["mp3", (h) => ascii(h, 0, 3) === "ID3"],
  ["mp3/aac (MPEG audio frames)", (h) => h[0] === 0xff && (h[1] & 0xe0) === 0xe0],
  ["mp4/m4a/3gp", (h) => ascii(h, 4, 8) === "ftyp"],
  ["amr", (h) => ascii(h, 0, 5) === "#!AMR"],
  ["aiff", (h) => ascii(h, 0, 4) === "FORM" && ["AIFF", "AIFC"].includes(ascii(h, 8, 12))],
  ["webm/mkv", (h) => h[0] === 0x1a && h[1] === 0x45 && h[2] === 0xdf && h[3] === 0xa3],
  ["au", (h) => ascii(h, 0, 4) === ".snd"],
  ["caf", (h) => ascii(h, 0, 4) === "caff"],
  ["wma/asf", (h) => h[0] === 0x30 && h[1] === 0x26 && h[2] === 0xb2 && h[3] === 0x75],
  ["wavpack", (h) => ascii(h, 0, 4) === "wvpk"],
  ["ape", (h) => ascii(h, 0, 4) === "MAC "],
  ["RF64/RIFX wav", (h) => ["RF64", "RIFX"].includes(ascii(h, 0, 4)) && ascii(h, 8, 12) === "WAVE"],
];

function ascii(h: Uint8Array, from: number, to: number): string {
  if (h.length < to) return "";
  return String.fromCharCode(...h.subarray(from, to));
}

/** Which decoder handles a file that starts with these bytes: "wav", an ffmpeg format name, or null. */
function sniffFormat(head: Uint8Array): "wav" | { ffmpeg: string } | null {
  if (looksLikeWav(head)) return "wav";
  for (const [name, test] of FFMPEG_FORMATS) if (test(head)) return { ffmpeg: name };
  return null;
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    const fh = await open(path, "r");
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new AudioFileError(path, "is a directory, not an audio file");
    }
    return fh;
  } catch (err) {
    if (err instanceof AudioFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new AudioFileError(path, "file not found");
    if (code === "EACCES") throw new AudioFileError(path, "permission denied");
    if (code === "EISDIR") throw new AudioFileError(path, "is a directory, not an audio file");
    throw new AudioFileError(path, `cannot open: ${(err as Error).message}`);
  }
}

/** Reads up to `length` bytes at `position` into the start of `buf`; returns how many were read. */
async function readInto(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const got = await readInto(fh, buf, length, position);
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Opens an audio file for chunked reading (constant memory for long files).
 * Throws AudioFileError naming the file for anything that cannot be read.
 */
export async function openAudioFile(path: string, options: OpenAudioOptions = {}): Promise<AudioStream> {
  const fh = await openFile(path);
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw new AudioFileError(path, "empty file (0 bytes)");
    let head = await readAt(fh, 0, Math.min(size, HEAD_BYTES));
    const kind = sniffFormat(head);
    if (kind === null) {
      const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
      const ext = extname(path) ? ` (extension ${extname(path)})` : "";
      throw new AudioFileError(
        path,
        `unknown audio format${ext}: starts with bytes ${hex}; expected WAV, or a format ffmpeg decodes ` +
          "(mp3, ogg/opus, flac, m4a/aac, 3gp/amr, …)",
      );
    }
    if (kind !== "wav") {
      await fh.close();
      return await openWithFfmpeg(path, kind.ffmpeg, options);
    }
    let layout: WavLayout;
    try {
      for (;;) {
        const parsed = parseWavHeader(head, path, size);
        if (!("needBytes" in parsed)) {
          layout = parsed;
          break;
        }
        head = await readAt(fh, 0, Math.min(size, Math.max(parsed.needBytes, head.length * 2)));
      }
    } catch (err) {
      if (err instanceof UnsupportedWavEncodingError) {
        await fh.close();
        return await openWithFfmpeg(path, `wav (${err.problem.split(":")[1]?.trim() ?? "unsupported"})`, {
          ...options,
          unsupportedWav: err,
        });
      }
      throw err;
    }
    const frames = checkDataChunk(layout, size, path);
    return wavFileStream(fh, path, layout, frames, options.chunkFrames ?? 16384);
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

function wavFileStream(
  fh: FileHandle,
  path: string,
  layout: WavLayout,
  frames: number,
  chunkFrames: number,
): AudioStream {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  return {
    path,
    format: describeFormat(layout),
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    frames,
    async *chunks() {
      try {
        const bytes = Buffer.alloc(Math.min(chunkFrames, frames) * layout.blockAlign);
        for (let f = 0; f < frames; f += chunkFrames) {
          const n = Math.min(chunkFrames, frames - f);
          const got = await readInto(
            fh,
            bytes,
            n * layout.blockAlign,
            layout.dataOffset + f * layout.blockAlign,
          );
          if (got < n * layout.blockAlign) throw new AudioFileError(path, "file shrank while being read");
          yield decodeFrames(bytes.subarray(0, got), layout);
        }
      } finally {
        await close();
      }
    },
    close,
  };
}

interface FfmpegOptions extends OpenAudioOptions {
  unsupportedWav?: AudioFileError;
}

/** Runs ffmpeg to turn any decodable file into a float32 WAV on stdout, parsed by the WAV reader. */
async function openWithFfmpeg(path: string, kind: string, options: FfmpegOptions): Promise<AudioStream> {
  const exe = options.ffmpegPath ?? ffmpegExecutable();
  const args = ["-nostdin", "-v", "error", "-i", path, "-vn", "-map", "0:a:0", "-f", "wav"];
  args.push("-c:a", "pcm_f32le", "-");
  const child: ChildProcess = spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => {
    if (stderr.length < 8192) stderr += s;
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (err) => {
      spawnError = err;
      resolve(null);
    });
    child.on("close", (code) => resolve(code));
  });
  const failure = async (): Promise<AudioFileError> => {
    const code = await exited;
    if (spawnError?.code === "ENOENT") {
      const base = options.unsupportedWav ? `${options.unsupportedWav.problem}, and ` : `${kind} file: `;
      return new AudioFileError(
        path,
        `${base}decoding it needs ffmpeg, which was not found (${exe}); install it (e.g. apt-get install ffmpeg) or set BABYMON_FFMPEG`,
      );
    }
    if (spawnError) return new AudioFileError(path, `cannot run ffmpeg (${exe}): ${spawnError.message}`);
    const lines = stderr.trim().split("\n").filter(Boolean);
    const last = lines.length > 0 ? lines[lines.length - 1] : `exit code ${code}`;
    return new AudioFileError(path, `ffmpeg could not decode this ${kind} file: ${last}`);
  };

  const source = child.stdout![Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer = Buffer.alloc(0);
  let layout: WavLayout | undefined;
  let ended = false;
  const pull = async (): Promise<boolean> => {
    const next = await source.next();
    if (next.done) {
      ended = true;
      return false;
    }
    pending = pending.length === 0 ? next.value : Buffer.concat([pending, next.value]);
    return true;
  };
  while (!layout) {
    const parsed = pending.length > 0 ? parseWavHeader(pending, path) : { needBytes: 12 };
    if (!("needBytes" in parsed)) {
      layout = parsed;
      break;
    }
    if (!(await pull())) {
      const code = await exited;
      if (code === 0 && !spawnError)
        throw new AudioFileError(path, `ffmpeg produced no audio from this ${kind} file`);
      throw await failure();
    }
  }
  pending = pending.subarray(layout.dataOffset);
  const fmt = layout;
  let remaining = fmt.dataBytes ?? Number.POSITIVE_INFINITY;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return {
    path,
    format: `${kind} via ffmpeg (${describeFormat(fmt).replace(/^WAV \S+ /, "")})`,
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    frames: null,
    async *chunks() {
      try {
        let total = 0;
        for (;;) {
          const usable = Math.min(pending.length, remaining);
          const whole = usable - (usable % fmt.blockAlign);
          if (whole > 0) {
            const out = decodeFrames(pending.subarray(0, whole), fmt);
            pending = pending.subarray(whole);
            remaining -= whole;
            total += out.length;
            yield out;
          }
          if (remaining <= 0 || ended) break;
          await pull();
        }
        const code = await exited;
        if (code !== 0 || spawnError) throw await failure();
        if (total === 0) throw new AudioFileError(path, `ffmpeg produced no audio from this ${kind} file`);
      } finally {
        await close();
      }
    },
    close,
  };
}

async function collect(
  stream: AudioStream,
  map?: (chunk: Float32Array) => Float32Array,
): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  let length = 0;
  for await (const chunk of stream.chunks()) {
    const c = map ? map(chunk) : chunk;
    parts.push(c);
    length += c.length;
  }
  const out = new Float32Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads a whole audio file as mono floats resampled to 16 kHz (YAMNet's rate) with the band-limited resampler. */
export async function readAudioFile16k(path: string, options: OpenAudioOptions = {}): Promise<AudioClip> {
  const stream = await openAudioFile(path, options);
  const rate = YAMNET_FRONTEND.sampleRate;
  const resampler = new StreamingResampler(stream.sampleRate, rate);
  const body = await collect(stream, (c) => resampler.process(c));
  const tail = resampler.flush();
  const samples = new Float32Array(body.length + tail.length);
  samples.set(body);
  samples.set(tail, body.length);
  return {
    path,
    format: stream.format,
    sampleRate: rate,
    channels: stream.channels,
    samples,
    durationSec: samples.length / rate,
  };
}

/** Mono 16 kHz chunks of a stream, resampled on the fly (the stream's chunks when it already is 16 kHz). */
export async function* chunks16k(stream: AudioStream): AsyncGenerator<Float32Array> {
  const resampler = new StreamingResampler(stream.sampleRate, YAMNET_FRONTEND.sampleRate);
  for await (const chunk of stream.chunks()) {
    const out = resampler.process(chunk);
    if (out.length > 0) yield out;
  }
  const tail = resampler.flush();
  if (tail.length > 0) yield tail;
}
