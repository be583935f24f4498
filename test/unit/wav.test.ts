import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openAudioFile, readAudioFile16k } from "../../src/audio/decode.js";
import { AudioFileError, decodeWav, encodeWav } from "../../src/audio/wav.js";
import { readWholeFile } from "../support/read-audio.js";

const dir = mkdtempSync(join(tmpdir(), "babymon-wav-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const SHARED = new URL("../../../shared/", import.meta.url);

interface Chunk {
  id: string;
  body: Buffer;
}

function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, "ascii");
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function fmtBody(o: {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  extensibleTag?: number;
}): Buffer {
  const align = (o.channels * o.bits) / 8;
  const b = Buffer.alloc(o.extensibleTag === undefined ? 16 : 40);
  b.writeUInt16LE(o.extensibleTag === undefined ? o.tag : 0xfffe, 0);
  b.writeUInt16LE(o.channels, 2);
  b.writeUInt32LE(o.rate, 4);
  b.writeUInt32LE(o.rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(o.bits, 14);
  if (o.extensibleTag !== undefined) {
    b.writeUInt16LE(22, 16);
    b.writeUInt16LE(o.bits, 18);
    b.writeUInt32LE(o.channels === 2 ? 3 : 4, 20);
    b.writeUInt16LE(o.extensibleTag, 24);
    Buffer.from("000000001000800000aa00389b71", "hex").copy(b, 26);
  }
  return b;
}

function riff(chunks: Chunk[], riffSize?: number): Buffer {
  const body = Buffer.concat(chunks.map((c) => chunk(c.id, c.body)));
  const head = Buffer.alloc(12);
  head.write("RIFF", 0, "ascii");
  head.writeUInt32LE(riffSize ?? body.length + 4, 4);
  head.write("WAVE", 8, "ascii");
  return Buffer.concat([head, body]);
}

function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Interleaved sample values in [-1, 1): frame f, channel c. */
const value = (f: number, c: number) => Math.round(Math.sin(f * 0.3 + c) * 100) / 128;

const ENCODINGS: Array<{
  name: string;
  tag: number;
  bits: number;
  write: (b: Buffer, at: number, v: number) => void;
  tol: number;
}> = [
  {
    name: "pcm8",
    tag: 1,
    bits: 8,
    write: (b, at, v) => b.writeUInt8(Math.round(v * 128) + 128, at),
    tol: 1e-7,
  },
  {
    name: "pcm16",
    tag: 1,
    bits: 16,
    write: (b, at, v) => b.writeInt16LE(Math.round(v * 32768), at),
    tol: 1e-7,
  },
  {
    name: "pcm24",
    tag: 1,
    bits: 24,
    write: (b, at, v) => b.writeIntLE(Math.round(v * 8388608), at, 3),
    tol: 1e-7,
  },
  {
    name: "pcm32",
    tag: 1,
    bits: 32,
    write: (b, at, v) => b.writeInt32LE(Math.round(v * 2147483648), at),
    tol: 1e-7,
  },
  { name: "float32", tag: 3, bits: 32, write: (b, at, v) => b.writeFloatLE(v, at), tol: 1e-7 },
  { name: "float64", tag: 3, bits: 64, write: (b, at, v) => b.writeDoubleLE(v, at), tol: 1e-7 },
];

for (const enc of ENCODINGS) {
  for (const channels of [1, 2, 3]) {
    for (const extensible of [false, true]) {
      test(`reads ${enc.name} ${channels}ch${extensible ? " WAVE_FORMAT_EXTENSIBLE" : ""}, mixing down to mono`, async () => {
        const frames = 257;
        const data = Buffer.alloc((frames * channels * enc.bits) / 8);
        for (let f = 0; f < frames; f++) {
          for (let c = 0; c < channels; c++)
            enc.write(data, ((f * channels + c) * enc.bits) / 8, value(f, c));
        }
        const fmt = fmtBody({
          tag: enc.tag,
          channels,
          rate: 22050,
          bits: enc.bits,
          extensibleTag: extensible ? enc.tag : undefined,
        });
        // an odd-sized unknown chunk between fmt and data exercises the pad byte
        const p = file(
          `${enc.name}-${channels}-${extensible}.wav`,
          riff([
            { id: "fmt ", body: fmt },
            { id: "LIST", body: Buffer.from("INFOodd") },
            { id: "data", body: data },
          ]),
        );
        const clip = await readWholeFile(p, { chunkFrames: 100 });
        assert.equal(clip.sampleRate, 22050);
        assert.equal(clip.channels, channels);
        assert.equal(clip.samples.length, frames);
        assert.equal(clip.frames, frames);
        for (let f = 0; f < frames; f++) {
          let mean = 0;
          for (let c = 0; c < channels; c++) mean += value(f, c) / channels;
          assert.ok(Math.abs(clip.samples[f] - mean) <= enc.tol, `frame ${f}: ${clip.samples[f]} vs ${mean}`);
        }
      });
    }
  }
}

test("reads the shared examples (16-bit mono at 16, 44.1 and 48 kHz) and resamples them to 16 kHz", async () => {
  const cases: Array<[string, number]> = [
    ["dog_975ms.wav", 16000],
    ["baby_975ms.wav", 44100],
    ["jingle_975ms.wav", 48000],
  ];
  for (const [name, rate] of cases) {
    const path = new URL(`examples/${name}`, SHARED).pathname;
    const bytes = readFileSync(path);
    const frames = bytes.readUInt32LE(40) / 2; // these files have a plain 44-byte header
    const clip = await readWholeFile(path);
    assert.equal(clip.sampleRate, rate);
    assert.equal(clip.samples.length, frames);
    assert.equal(clip.samples[100], bytes.readInt16LE(44 + 200) / 32768);
    const c16 = await readAudioFile16k(path);
    assert.equal(c16.sampleRate, 16000);
    assert.equal(c16.samples.length, Math.ceil((frames * 16000) / rate));
  }
});

test("encodeWav round-trips through decodeWav", () => {
  const x = Float32Array.from({ length: 100 }, (_, i) => Math.round(Math.sin(i) * 1000) / 32768);
  const { format, samples } = decodeWav(encodeWav(x, 8000), "mem.wav");
  assert.equal(format.sampleRate, 8000);
  assert.deepEqual(samples, x);
});

async function rejects(path: string, message: RegExp): Promise<void> {
  await assert.rejects(openAudioFile(path), (err: unknown) => {
    assert.ok(err instanceof AudioFileError, `expected AudioFileError, got ${err}`);
    assert.match(err.message, message);
    assert.ok(err.message.startsWith(`${path}: `), `message names the file: ${err.message}`);
    return true;
  });
}

const pcm16 = fmtBody({ tag: 1, channels: 1, rate: 16000, bits: 16 });

test("truncated WAV: header claims more data than the file has", async () => {
  const full = riff([
    { id: "fmt ", body: pcm16 },
    { id: "data", body: Buffer.alloc(136720) },
  ]);
  const p = file("truncated.wav", full.subarray(0, 44 + 40000));
  await rejects(p, /truncated data chunk: header says 136720 bytes, file has 40000$/);
});

test("empty WAV: valid header, no samples", async () => {
  await rejects(
    file(
      "empty.wav",
      riff([
        { id: "fmt ", body: pcm16 },
        { id: "data", body: Buffer.alloc(0) },
      ]),
    ),
    /empty data chunk: no audio samples/,
  );
});

test("zero-byte file, header-only file, missing chunks, bad fmt", async () => {
  await rejects(file("zero.wav", Buffer.alloc(0)), /empty file \(0 bytes\)/);
  await rejects(file("short.wav", Buffer.from("RIFF\x00\x00")), /unknown audio format \(extension \.wav\)/);
  await rejects(file("nodata.wav", riff([{ id: "fmt ", body: pcm16 }])), /no data chunk/);
  await rejects(
    file("nofmt.wav", riff([{ id: "data", body: Buffer.alloc(8) }])),
    /data chunk comes before the fmt chunk/,
  );
  const badAlign = Buffer.from(pcm16);
  badAlign.writeUInt16LE(3, 12);
  await rejects(
    file(
      "align.wav",
      riff([
        { id: "fmt ", body: badAlign },
        { id: "data", body: Buffer.alloc(8) },
      ]),
    ),
    /block align 3 does not match 1 channel\(s\) × 16 bits/,
  );
  const noChannels = Buffer.from(pcm16);
  noChannels.writeUInt16LE(0, 2);
  await rejects(
    file(
      "nochan.wav",
      riff([
        { id: "fmt ", body: noChannels },
        { id: "data", body: Buffer.alloc(8) },
      ]),
    ),
    /invalid fmt chunk: 0 channels/,
  );
  const cut = riff([
    { id: "fmt ", body: pcm16 },
    { id: "data", body: Buffer.alloc(8) },
  ]).subarray(0, 30);
  await rejects(file("cutfmt.wav", cut), /truncated fmt chunk: header says 16 bytes, file has 10/);
  await rejects(join(dir, "missing.wav"), /file not found/);
  await rejects(dir, /is a directory/);
});

test("unknown format names the first bytes", async () => {
  await rejects(
    file("page.mp3", Buffer.from("<html><body>not audio</body></html>")),
    /unknown audio format \(extension \.mp3\): starts with bytes 3c 68 74 6d 6c 3e 3c 62; expected WAV/,
  );
});

test("the format is recognised by its magic bytes, not the file name", async () => {
  const wav = await openAudioFile(file("sniff-wav.bin", encodeWav(new Float32Array(10), 16000)));
  assert.match(wav.format, /^WAV pcm16 1ch 16000 Hz$/);
  await wav.close();
  // formats handed to ffmpeg are named in the error when the ffmpeg to run is missing
  const noFfmpeg = { ffmpegPath: join(dir, "no-such-ffmpeg") };
  for (const [head, name] of [
    ["OggS\0\0\0\0\0\0\0\0", "ogg"],
    ["fLaC\0\0\0\0", "flac"],
    ["\0\0\0\x18ftyp3gp4", "mp4/m4a/3gp"],
  ] as const) {
    await assert.rejects(
      openAudioFile(file(`sniff-${name.replace(/\//g, "-")}.wav`, Buffer.from(head, "latin1")), noFfmpeg),
      new RegExp(`: ${name} file: decoding it needs ffmpeg, which was not found`),
    );
  }
  await assert.rejects(
    openAudioFile(file("sniff-text.wav", Buffer.from("hello world!"))),
    /unknown audio format/,
  );
});

test("a streamed WAV (arecord > file.wav: data size 0x80000000) is read to the end of the file", async () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.round(Math.sin(i / 7) * 9000) / 32768);
  for (const marker of [0x80000000, 0xffffffff]) {
    const bytes = encodeWav(x, 16000);
    bytes.writeUInt32LE(marker, 40);
    bytes.writeUInt32LE(marker === 0xffffffff ? marker : marker + 36, 4);
    const clip = await readWholeFile(file(`streamed-${marker}.wav`, bytes));
    assert.deepEqual(clip.samples, x);
  }
});
