/**
 * Band-limited resampling by a Kaiser-windowed sinc, evaluated as an exact polyphase filter for the
 * rational ratio outRate/inRate (e.g. 44100 → 16000 = 160/441 has 160 phases).
 *
 * Why by hand rather than libsamplerate-js: it is synchronous (the daemon resamples mic chunks inside its
 * capture callback, classify inside a stream), needs no WASM heap management, is exactly reproducible,
 * and a Kaiser sinc is the resampler the shared golden expectations were measured with. Quality is
 * libsamplerate "medium" class: 90 dB stop-band, flat (ripple < 1e-4) to 45 % of the lower rate, the
 * transition band centred on the lower Nyquist frequency, so aliases only land above 90 % of it
 * (for 16 kHz output: flat to 7.2 kHz, fully attenuated from 8.8 kHz).
 */

/** Stop-band attenuation of the anti-aliasing filter (dB). */
export const RESAMPLER_ATTENUATION_DB = 90;
/** Transition band as a fraction of the lower of the two rates (0.45 … 0.55 of it). */
export const RESAMPLER_TRANSITION = 0.1;
/** Above this many phases, tabulate the filter at this resolution and interpolate linearly between phases. */
const MAX_EXACT_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1000 || rate > 768000) {
    throw new RangeError(
      `Expected \`${name}\` to be an integer sample rate between 1000 and 768000 Hz, got ${rate}`,
    );
  }
}

/** The filter design for one rate pair: taps per phase and the tables. */
interface PolyphaseFilter {
  /** up factor L (output samples per `down` input samples) */
  up: number;
  /** down factor M */
  down: number;
  /** taps per phase; output n uses inputs i-K+1 … i+K where i = floor(n·M/L) */
  halfTaps: number;
  /** phases in the table (L when exact, else MAX_EXACT_PHASES, plus one extra row when interpolating) */
  phases: number;
  exact: boolean;
  /** phases × 2K taps, row p for fractional position p/phases */
  table: Float64Array;
}

const filterCache = new Map<string, PolyphaseFilter>();

function designFilter(inRate: number, outRate: number): PolyphaseFilter {
  const key = `${inRate}:${outRate}`;
  const cached = filterCache.get(key);
  if (cached) return cached;
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  const lower = Math.min(inRate, outRate);
  // All quantities in units of input samples.
  const cutoff = lower / 2 / inRate; // cycles per input sample
  const transition = (RESAMPLER_TRANSITION * lower) / inRate;
  const a = RESAMPLER_ATTENUATION_DB;
  const beta = a > 50 ? 0.1102 * (a - 8.7) : a >= 21 ? 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21) : 0;
  const length = Math.ceil((a - 8) / (2.285 * 2 * Math.PI * transition)) + 1;
  const halfLength = (length - 1) / 2; // window half-width in input samples
  const halfTaps = Math.ceil(halfLength) + 1;
  const exact = up <= MAX_EXACT_PHASES;
  const phases = exact ? up : MAX_EXACT_PHASES;
  const rows = exact ? phases : phases + 1;
  const taps = 2 * halfTaps;
  const table = new Float64Array(rows * taps);
  const i0Beta = besselI0(beta);
  for (let p = 0; p < rows; p++) {
    const frac = p / phases;
    for (let k = 0; k < taps; k++) {
      // tap k multiplies input i - K + 1 + k; the output sits at i + frac
      const tau = frac + halfTaps - 1 - k;
      if (Math.abs(tau) > halfLength) continue;
      const x = 2 * cutoff * tau;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = tau / halfLength;
      table[p * taps + k] = 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
    }
  }
  const filter = { up, down, halfTaps, phases, exact, table };
  filterCache.set(key, filter);
  return filter;
}

/**
 * Stateful resampler for a stream of chunks: `process(chunk)` returns every output sample that the input so
 * far determines; `flush()` ends the stream (zeros after the last input) and returns the rest. Output sample n
 * sits at time n / outRate with input sample 0 at time 0, so the concatenated output is identical to a
 * one-shot `resample()` of the concatenated input, whatever the chunking. Total output length is
 * ceil(inputLength · outRate / inRate).
 */
export class StreamingResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  private readonly filter: PolyphaseFilter | null;
  private buffer: Float32Array;
  /** absolute index of buffer[0] (starts negative: the zeros before the first input) */
  private bufferStart: number;
  private bufferLength = 0;
  /** absolute index of the input sample at or before the next output, and the phase within it (0 … up-1) */
  private center = 0;
  private phase = 0;
  private inputCount = 0;
  private outputCount = 0;
  private flushed = false;

  constructor(inputRate: number, outputRate = 16000) {
    checkRate("inputRate", inputRate);
    checkRate("outputRate", outputRate);
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.filter = inputRate === outputRate ? null : designFilter(inputRate, outputRate);
    const k = this.filter?.halfTaps ?? 1;
    this.buffer = new Float32Array(4096 + 2 * k);
    // K-1 zeros before sample 0
    this.bufferStart = -(k - 1);
    this.bufferLength = k - 1;
  }

  /** Output samples per input sample. */
  get ratio(): number {
    return this.outputRate / this.inputRate;
  }

  process(chunk: Float32Array): Float32Array {
    if (this.flushed) throw new Error("StreamingResampler: process() after flush(); call reset() first");
    this.inputCount += chunk.length;
    if (!this.filter) {
      this.outputCount += chunk.length;
      return chunk.slice();
    }
    this.append(chunk);
    return this.run(Number.POSITIVE_INFINITY);
  }

  /** Ends the input and returns the remaining output (the input is taken as zero after its last sample). */
  flush(): Float32Array {
    if (this.flushed) return new Float32Array(0);
    this.flushed = true;
    if (!this.filter) return new Float32Array(0);
    const total = Math.ceil((this.inputCount * this.filter.up) / this.filter.down);
    const needed = total - this.outputCount;
    if (needed <= 0) return new Float32Array(0);
    const pad = this.filter.halfTaps + Math.ceil(this.filter.down / this.filter.up) + 2;
    this.append(new Float32Array(pad));
    return this.run(needed);
  }

  /** Forgets all input: the next process() starts a new stream. */
  reset(): void {
    const k = this.filter?.halfTaps ?? 1;
    this.buffer.fill(0);
    this.bufferStart = -(k - 1);
    this.bufferLength = k - 1;
    this.center = 0;
    this.phase = 0;
    this.inputCount = 0;
    this.outputCount = 0;
    this.flushed = false;
  }

  private append(chunk: Float32Array): void {
    // Drop samples no future output needs.
    const k = this.filter!.halfTaps;
    const keepFrom = this.center - k + 1 - this.bufferStart;
    if (keepFrom > 0) {
      this.buffer.copyWithin(0, keepFrom, this.bufferLength);
      this.bufferLength -= keepFrom;
      this.bufferStart += keepFrom;
    }
    if (this.bufferLength + chunk.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.bufferLength + chunk.length));
      grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.bufferLength);
    this.bufferLength += chunk.length;
  }

  private run(limit: number): Float32Array {
    const f = this.filter!;
    const k = f.halfTaps;
    const taps = 2 * k;
    const lastInput = this.bufferStart + this.bufferLength - 1;
    // outputs available: those whose rightmost tap (center + K) is in the buffer
    const stepInt = Math.floor(f.down / f.up);
    const stepFrac = f.down % f.up;
    let available = 0;
    {
      let c = this.center;
      let p = this.phase;
      while (c + k <= lastInput && available < limit) {
        available++;
        c += stepInt;
        p += stepFrac;
        if (p >= f.up) {
          p -= f.up;
          c++;
        }
      }
    }
    const out = new Float32Array(available);
    const buf = this.buffer;
    const table = f.table;
    let c = this.center;
    let p = this.phase;
    for (let n = 0; n < available; n++) {
      const start = c - k + 1 - this.bufferStart;
      let acc = 0;
      if (f.exact) {
        const row = p * taps;
        for (let t = 0; t < taps; t++) acc += buf[start + t] * table[row + t];
      } else {
        const pos = (p / f.up) * f.phases;
        const p0 = Math.floor(pos);
        const w = pos - p0;
        const r0 = p0 * taps;
        const r1 = r0 + taps;
        for (let t = 0; t < taps; t++)
          acc += buf[start + t] * (table[r0 + t] + w * (table[r1 + t] - table[r0 + t]));
      }
      out[n] = acc;
      c += stepInt;
      p += stepFrac;
      if (p >= f.up) {
        p -= f.up;
        c++;
      }
    }
    this.center = c;
    this.phase = p;
    this.outputCount += available;
    return out;
  }
}

/** One-shot band-limited resampling; output length ceil(samples.length · outRate / inRate). */
export function resample(samples: Float32Array, inRate: number, outRate = 16000): Float32Array {
  const r = new StreamingResampler(inRate, outRate);
  const body = r.process(samples);
  const tail = r.flush();
  if (tail.length === 0) return body;
  const out = new Float32Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  return out;
}
