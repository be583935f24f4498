import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openAudioFile } from "../../src/audio/decode.js";
import { AudioFileError, encodeWav } from "../../src/audio/wav.js";
import { readWholeFile } from "../support/read-audio.js";
import { toolOrSkip } from "../support/tools.js";

const dir = mkdtempSync(join(tmpdir(), "babymon-decode-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stereo 44.1 kHz test signal: 440 Hz left, 880 Hz right, 1 s. */
function stereoWav(): string {
  const frames = 44100;
  const x = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    x[2 * i] = 0.4 * Math.sin((2 * Math.PI * 440 * i) / 44100);
    x[2 * i + 1] = 0.4 * Math.sin((2 * Math.PI * 880 * i) / 44100);
  }
  const p = join(dir, "stereo.wav");
  writeFileSync(p, encodeWav(x, 44100, { channels: 2 }));
  return p;
}

function ffmpeg(args: string[]): void {
  const r = spawnSync("ffmpeg", ["-v", "error", "-y", ...args]);
  assert.equal(r.status, 0, r.stderr.toString());
}

for (const [ext, codec] of [
  ["flac", ["-c:a", "flac"]],
  ["ogg", ["-c:a", "libvorbis"]],
  ["mp3", ["-c:a", "libmp3lame"]],
] as const) {
  test(`decodes .${ext} through ffmpeg (mixdown, native rate)`, async (t) => {
    if (toolOrSkip(t, "ffmpeg")) return;
    const src = stereoWav();
    const out = join(dir, `stereo.${ext}`);
    ffmpeg(["-i", src, ...codec, out]);
    const wav = await readWholeFile(src);
    const clip = await readWholeFile(out);
    assert.match(clip.format, /via ffmpeg \(2ch 44100 Hz\)/);
    assert.equal(clip.sampleRate, 44100);
    assert.equal(clip.channels, 2);
    // lossless flac is identical; lossy codecs add delay/padding, so compare energy only
    if (ext === "flac") {
      assert.equal(clip.samples.length, wav.samples.length);
      for (let i = 0; i < wav.samples.length; i++)
        assert.ok(Math.abs(clip.samples[i] - wav.samples[i]) < 1e-6);
    } else {
      const rms = (s: Float32Array) => Math.sqrt(s.reduce((a, v) => a + v * v, 0) / s.length);
      assert.ok(Math.abs(clip.samples.length - wav.samples.length) < 4096);
      assert.ok(Math.abs(rms(clip.samples) - rms(wav.samples)) < 0.1 * rms(wav.samples));
    }
  });
}

test("a WAV encoding this reader does not decode (µ-law) falls back to ffmpeg", async (t) => {
  if (toolOrSkip(t, "ffmpeg")) return;
  const src = stereoWav();
  const out = join(dir, "mulaw.wav");
  ffmpeg(["-i", src, "-c:a", "pcm_mulaw", out]);
  const clip = await readWholeFile(out);
  assert.match(clip.format, /µ-law.*via ffmpeg/);
  assert.equal(clip.samples.length, 44100);
});

test("a corrupt ogg gets ffmpeg's reason, naming the file", async (t) => {
  if (toolOrSkip(t, "ffmpeg")) return;
  const p = join(dir, "broken.ogg");
  writeFileSync(p, Buffer.concat([Buffer.from("OggS"), Buffer.alloc(200, 7)]));
  await assert.rejects(readWholeFile(p), (err: unknown) => {
    assert.ok(err instanceof AudioFileError);
    assert.match(
      err.message,
      new RegExp(`^${p}: ffmpeg (could not decode this ogg file: .+|produced no audio)`),
    );
    return true;
  });
});

test("without ffmpeg, a non-WAV file gets a clear error", async () => {
  const p = join(dir, "x.flac");
  writeFileSync(p, Buffer.concat([Buffer.from("fLaC"), Buffer.alloc(100)]));
  await assert.rejects(openAudioFile(p, { ffmpegPath: join(dir, "no-such-ffmpeg") }), (err: unknown) => {
    assert.ok(err instanceof AudioFileError);
    assert.match(
      err.message,
      /: flac file: decoding it needs ffmpeg, which was not found .*apt-get install ffmpeg/,
    );
    return true;
  });
});
