/**
 * WAV (RIFF/WAVE) parsing and PCM decoding, written by hand: the format is small, and the errors must say
 * exactly what is wrong with which file (a library would hide truncation or invent samples).
 *
 * Supported: PCM 8 (unsigned), 16, 24, 32-bit integer and 32/64-bit IEEE float, plain or
 * WAVE_FORMAT_EXTENSIBLE, any channel count (mixed down to mono by averaging), any sample rate.
 * Unknown chunks (LIST, fact, cue, …) are skipped, odd-sized chunks honour their pad byte.
 */

/** An audio file that cannot be read; the message names the file and the problem. */
export class AudioFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "AudioFileError";
  }
}

export type SampleEncoding = "pcm8" | "pcm16" | "pcm24" | "pcm32" | "float32" | "float64";

export interface WavFormat {
  encoding: SampleEncoding;
  channels: number;
  sampleRate: number;
  /** bytes of one frame (all channels of one sample instant) */
  blockAlign: number;
}

export interface WavLayout extends WavFormat {
  /** byte offset of the first sample */
  dataOffset: number;
  /** bytes of sample data, or null for a streamed WAV whose header holds an "unknown length" marker */
  dataBytes: number | null;
}

/** Result of parsing a header prefix that is too short: read at least this many bytes and retry. */
export interface NeedMoreBytes {
  needBytes: number;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/**
 * Data sizes that writers put in the header when they stream and cannot seek back to fill in the real size:
 * ffmpeg to a pipe writes 0xFFFFFFFF, `arecord > file.wav` writes 0x80000000, others 0x7FFFFFFF.
 * Such a data chunk runs to the end of the file.
 */
const UNKNOWN_LENGTH_MARKERS = new Set([0xffffffff, 0x80000000, 0x7fffffff]);

const FORMAT_TAG_NAMES: Record<number, string> = {
  2: "MS ADPCM",
  6: "A-law",
  7: "µ-law",
  17: "IMA ADPCM",
  49: "GSM 6.10",
  85: "MPEG layer 3",
};

/** Thrown for a valid WAV whose sample encoding this reader does not decode (ffmpeg may). */
export class UnsupportedWavEncodingError extends AudioFileError {}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

function printable(id: string): string {
  return JSON.stringify(id);
}

/** True when the bytes start like a RIFF/WAVE file. */
export function looksLikeWav(head: Uint8Array): boolean {
  return head.length >= 12 && fourCC(head, 0) === "RIFF" && fourCC(head, 8) === "WAVE";
}

function parseFmt(view: DataView, offset: number, size: number, file: string): WavFormat {
  if (size < 16) throw new AudioFileError(file, `invalid fmt chunk: ${size} bytes, expected at least 16`);
  let tag = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const blockAlign = view.getUint16(offset + 12, true);
  const bits = view.getUint16(offset + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) {
      throw new AudioFileError(file, `invalid fmt chunk: WAVE_FORMAT_EXTENSIBLE needs 40 bytes, got ${size}`);
    }
    // The sub-format GUID starts with the plain format tag.
    tag = view.getUint16(offset + 24, true);
  }
  if (channels === 0) throw new AudioFileError(file, "invalid fmt chunk: 0 channels");
  if (sampleRate === 0) throw new AudioFileError(file, "invalid fmt chunk: sample rate 0 Hz");
  let encoding: SampleEncoding;
  if (tag === WAVE_FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) {
    encoding = `pcm${bits}`;
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64)) {
    encoding = `float${bits}`;
  } else {
    const name =
      FORMAT_TAG_NAMES[tag] ?? (tag === WAVE_FORMAT_PCM ? "PCM" : tag === 3 ? "IEEE float" : "unknown");
    throw new UnsupportedWavEncodingError(
      file,
      `unsupported WAV encoding: format tag 0x${tag.toString(16).padStart(4, "0")} (${name}), ${bits}-bit; ` +
        "supported: PCM 8/16/24/32-bit and IEEE float 32/64-bit",
    );
  }
  const expectedAlign = channels * (bits / 8);
  if (blockAlign !== expectedAlign) {
    throw new AudioFileError(
      file,
      `invalid fmt chunk: block align ${blockAlign} does not match ${channels} channel(s) × ${bits} bits (expected ${expectedAlign})`,
    );
  }
  return { encoding, channels, sampleRate, blockAlign };
}

/**
 * Parses the RIFF header and chunks up to the start of the `data` chunk.
 * `head` is a prefix of the file; when it is too short, returns how many bytes are needed.
 * `totalBytes` is the file size when known (files), or undefined for streams.
 */
export function parseWavHeader(
  head: Uint8Array,
  file: string,
  totalBytes?: number,
): WavLayout | NeedMoreBytes {
  const known = totalBytes ?? Number.POSITIVE_INFINITY;
  if (totalBytes === 0) throw new AudioFileError(file, "empty file (0 bytes)");
  if (head.length < 12) {
    if (known <= head.length) {
      throw new AudioFileError(
        file,
        `not a WAV file: ${head.length} bytes, too short for a RIFF/WAVE header`,
      );
    }
    return { needBytes: 12 };
  }
  const riff = fourCC(head, 0);
  if (riff === "RIFX" || riff === "RF64") {
    throw new AudioFileError(file, `unsupported WAV variant ${printable(riff)} (only little-endian RIFF)`);
  }
  if (riff !== "RIFF" || fourCC(head, 8) !== "WAVE") {
    throw new AudioFileError(file, "not a WAV file: no RIFF/WAVE header");
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let format: WavFormat | undefined;
  let offset = 12;
  for (;;) {
    if (offset + 8 > head.length) {
      if (offset + 8 > known) {
        if (offset >= known && !format) throw new AudioFileError(file, "no fmt chunk and no data chunk");
        throw new AudioFileError(
          file,
          format ? "no data chunk" : "truncated header: file ends inside the chunk list",
        );
      }
      return { needBytes: offset + 8 };
    }
    const id = fourCC(head, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "data") {
      if (!format)
        throw new AudioFileError(file, "data chunk comes before the fmt chunk (or fmt is missing)");
      return { ...format, dataOffset: body, dataBytes: UNKNOWN_LENGTH_MARKERS.has(size) ? null : size };
    }
    if (id === "fmt ") {
      if (body + size > head.length) {
        if (body + size > known) {
          throw new AudioFileError(
            file,
            `truncated fmt chunk: header says ${size} bytes, file has ${known - body}`,
          );
        }
        return { needBytes: body + size };
      }
      format = parseFmt(view, body, size, file);
    }
    offset = body + size + (size & 1);
  }
}

/** Bytes per sample of one channel. */
export function bytesPerSample(encoding: SampleEncoding): number {
  switch (encoding) {
    case "pcm8":
      return 1;
    case "pcm16":
      return 2;
    case "pcm24":
      return 3;
    case "pcm32":
    case "float32":
      return 4;
    case "float64":
      return 8;
  }
}

/**
 * Decodes whole frames of interleaved samples into mono floats in [-1, 1] (channels averaged).
 * `bytes.length` must be a multiple of `format.blockAlign`.
 */
export function decodeFrames(bytes: Uint8Array, format: WavFormat): Float32Array {
  const { encoding, channels, blockAlign } = format;
  const frames = Math.floor(bytes.length / blockAlign);
  const out = new Float32Array(frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = bytesPerSample(encoding);
  const scale = 1 / channels;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    let p = f * blockAlign;
    for (let c = 0; c < channels; c++, p += width) {
      switch (encoding) {
        case "pcm16":
          sum += view.getInt16(p, true) / 32768;
          break;
        case "pcm8":
          sum += (bytes[p] - 128) / 128;
          break;
        case "pcm24":
          sum += ((bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8) / 2147483648;
          break;
        case "pcm32":
          sum += view.getInt32(p, true) / 2147483648;
          break;
        case "float32":
          sum += view.getFloat32(p, true);
          break;
        case "float64":
          sum += view.getFloat64(p, true);
          break;
      }
    }
    out[f] = channels === 1 ? sum : sum * scale;
  }
  return out;
}

/** Human description of a format, e.g. "WAV pcm16 2ch 44100 Hz". */
export function describeFormat(format: WavFormat): string {
  return `WAV ${format.encoding} ${format.channels}ch ${format.sampleRate} Hz`;
}

/**
 * Checks the data chunk of a file of known size; returns the number of whole frames.
 * A header that claims more data than the file holds is a truncated file.
 */
export function checkDataChunk(layout: WavLayout, totalBytes: number, file: string): number {
  const available = totalBytes - layout.dataOffset;
  const bytes = layout.dataBytes ?? available;
  if (layout.dataBytes !== null && layout.dataBytes > available) {
    throw new AudioFileError(
      file,
      `truncated data chunk: header says ${layout.dataBytes} bytes, file has ${available}`,
    );
  }
  const frames = Math.floor(bytes / layout.blockAlign);
  if (frames === 0) {
    throw new AudioFileError(file, `empty data chunk: no audio samples (${bytes} bytes of sample data)`);
  }
  return frames;
}

/** Parses a complete WAV file held in memory. */
export function decodeWav(bytes: Uint8Array, file: string): { format: WavFormat; samples: Float32Array } {
  const layout = parseWavHeader(bytes, file, bytes.length);
  if ("needBytes" in layout) throw new AudioFileError(file, "truncated header"); // unreachable with totalBytes
  const frames = checkDataChunk(layout, bytes.length, file);
  const data = bytes.subarray(layout.dataOffset, layout.dataOffset + frames * layout.blockAlign);
  return { format: layout, samples: decodeFrames(data, layout) };
}

/** Encodes mono or interleaved float samples as a 16-bit PCM (or float32) WAV file — for tests, tools, fixtures. */
export function encodeWav(
  samples: Float32Array,
  sampleRate: number,
  options: { channels?: number; encoding?: "pcm16" | "float32" } = {},
): Buffer {
  const channels = options.channels ?? 1;
  const encoding = options.encoding ?? "pcm16";
  const width = encoding === "pcm16" ? 2 : 4;
  const dataBytes = samples.length * width;
  const out = Buffer.alloc(44 + dataBytes);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write("WAVE", 8, "ascii");
  out.write("fmt ", 12, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(encoding === "pcm16" ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * width, 28);
  out.writeUInt16LE(channels * width, 32);
  out.writeUInt16LE(width * 8, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    if (encoding === "pcm16") {
      const v = Math.max(-1, Math.min(1, samples[i]));
      out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), 44 + 2 * i);
    } else {
      out.writeFloatLE(samples[i], 44 + 4 * i);
    }
  }
  return out;
}
