import { type AudioStream, chunks16k, openAudioFile } from "../../audio/decode.js";
import { AudioFileError } from "../../audio/wav.js";
import { WindowCutter } from "../../detection/windows.js";
import {
  PATCH_HOP_SAMPLES,
  PATCH_SIZE,
  PATCH_WINDOW_SAMPLES,
  YAMNET_FRONTEND,
} from "../../dsp/frontend-params.js";
import type { ReasonProbabilities } from "../../events.js";
import { type YamnetAnalyzer, yamnetCryScore } from "../../inference/analyzer.js";
import type { ClassMap } from "../../inference/class-map.js";
import type { WindowAnalysis } from "../../inference/types.js";
import { round } from "../../util/round.js";
import type { ClassifyOptions, ClassScore, FileResult, FileResultOk, PatchResult } from "./types.js";

/** Decimals of classify's figures. */
const DIGITS = 6;

function topClasses(scores: ArrayLike<number>, n: number, classes: ClassMap): ClassScore[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  return order
    .slice(0, n)
    .map((index) => ({ index, name: classes.names[index], score: round(scores[index], DIGITS) }));
}

/**
 * 16 kHz windows of PATCH_WINDOW_SAMPLES every PATCH_HOP_SAMPLES, cut by the listening pipeline's WindowCutter; a
 * stream shorter than one window is zero-padded to one.
 */
async function* slidingWindows(
  chunks: AsyncIterable<Float32Array>,
  onPadded: () => void,
): AsyncGenerator<Float32Array> {
  const cutter = new WindowCutter(PATCH_HOP_SAMPLES / YAMNET_FRONTEND.sampleRate);
  let ready: Float32Array[] = [];
  let emitted = 0;
  let tail: Float32Array | null = null;
  for await (const chunk of chunks) {
    cutter.push(chunk, (w) => ready.push(w.samples));
    if (emitted === 0 && ready.length === 0) tail = tail ? concat(tail, chunk) : chunk.slice();
    for (const w of ready) {
      emitted++;
      yield w;
    }
    ready = [];
  }
  if (emitted === 0 && tail && tail.length > 0) {
    onPadded();
    const padded = new Float32Array(PATCH_WINDOW_SAMPLES);
    padded.set(tail);
    yield padded;
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Classifies one file; errors (unreadable audio) are returned as a FileResultError, not thrown. */
export async function classifyFile(
  analyzer: YamnetAnalyzer,
  classes: ClassMap,
  path: string,
  options: ClassifyOptions,
): Promise<FileResult> {
  const t0 = performance.now();
  let stream: AudioStream | undefined;
  try {
    stream = await openAudioFile(path);
    const sum = new Float64Array(classes.names.length);
    const reasonSum: Record<string, number> = {};
    let reasonWeight = 0;
    let patches = 0;
    let yamnetPeak = 0;
    let headsSum = 0;
    let headsPeak = 0;
    let hasHeads = false;
    let padded = false;
    let samples16k = 0;
    const perPatch: PatchResult[] = [];
    const counted = async function* (s: AudioStream) {
      for await (const c of chunks16k(s)) {
        samples16k += c.length;
        yield c;
      }
    };
    const consume = (results: WindowAnalysis[]) => {
      for (const r of results) {
        for (let i = 0; i < sum.length; i++) sum[i] += r.scores[i];
        yamnetPeak = Math.max(yamnetPeak, r.yamnetCry);
        if (r.reasons) {
          hasHeads = true;
          headsSum += r.cry;
          headsPeak = Math.max(headsPeak, r.cry);
          for (const [k, v] of Object.entries(r.reasons)) reasonSum[k] = (reasonSum[k] ?? 0) + r.cry * v;
          reasonWeight += r.cry;
        }
        if (options.perPatch) {
          const startSec = (patches * PATCH_HOP_SAMPLES) / YAMNET_FRONTEND.sampleRate;
          perPatch.push({
            index: patches,
            startSec: round(startSec, DIGITS),
            endSec: round(startSec + PATCH_WINDOW_SAMPLES / YAMNET_FRONTEND.sampleRate, DIGITS),
            top: topClasses(r.scores, options.top, classes),
            yamnetCry: round(r.yamnetCry, DIGITS),
            cry: round(r.cry, DIGITS),
            reasons: r.reasons ? roundReasons(r.reasons) : null,
          });
        }
        patches++;
      }
    };
    // log-mel patches are computed into a reused pool as soon as each window appears
    const batchSize = options.batch ?? 8;
    const pool = Array.from({ length: batchSize }, () => new Float32Array(PATCH_SIZE));
    // heads trained on band-limited audio get it; the AudioSet classes and YAMNet's cry score come from full band
    const fullBand = analyzer.bandLimitHz > 0;
    const fullPool = fullBand ? Array.from({ length: batchSize }, () => new Float32Array(PATCH_SIZE)) : [];
    let filled = 0;
    const flush = async (n: number) => {
      const full = fullBand ? analyzer.analyzeYamnetOnly(fullPool.slice(0, n)) : null;
      const results = await analyzer.analyzePatches(pool.slice(0, n));
      consume(full ? results.map((r, i) => ({ ...r, ...full[i] })) : results);
    };
    for await (const w of slidingWindows(counted(stream), () => {
      padded = true;
    })) {
      if (fullBand) analyzer.fullBandPatchOf(w, fullPool[filled]);
      analyzer.patchOf(w, pool[filled++]);
      if (filled === batchSize) {
        await flush(filled);
        filled = 0;
      }
    }
    if (filled > 0) await flush(filled);
    if (patches === 0) throw new AudioFileError(path, "no audio samples after decoding");
    const mean = sum.map((s) => s / patches);
    let reasons: ReasonProbabilities | null = null;
    if (hasHeads) {
      const weights = reasonWeight > 0 ? reasonWeight : patches;
      reasons = Object.fromEntries(
        Object.entries(reasonSum).map(([k, v]) => [k, round(reasonWeight > 0 ? v / weights : v, DIGITS)]),
      ) as ReasonProbabilities;
    }
    const result: FileResultOk = {
      path,
      ok: true,
      format: stream.format,
      sampleRate: stream.sampleRate,
      channels: stream.channels,
      durationSec: round(
        stream.frames !== null ? stream.frames / stream.sampleRate : samples16k / YAMNET_FRONTEND.sampleRate,
        DIGITS,
      ),
      patches,
      padded,
      top: topClasses(mean, options.top, classes),
      cry: {
        yamnet: round(yamnetCryScore(mean), DIGITS),
        yamnetPeak: round(yamnetPeak, DIGITS),
        heads: hasHeads ? round(headsSum / patches, DIGITS) : null,
        headsPeak: hasHeads ? round(headsPeak, DIGITS) : null,
      },
      reasons,
      elapsedMs: Math.round(performance.now() - t0),
    };
    if (options.perPatch) result.perPatch = perPatch;
    return result;
  } catch (err) {
    await stream?.close().catch(() => {});
    const message = err instanceof AudioFileError ? err.message : `${path}: ${(err as Error).message}`;
    return { path, ok: false, error: message };
  }
}

function roundReasons(r: ReasonProbabilities): ReasonProbabilities {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, DIGITS)])) as ReasonProbabilities;
}
