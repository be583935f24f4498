/**
 * A fixed-capacity ring of float samples addressed by absolute sample index (samples written since the start).
 * Old samples are overwritten; reading a range that is no longer (or not yet) held throws.
 */
export class SampleRingBuffer {
  private readonly data: Float32Array;
  private written = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError(`Expected \`capacity\` to be a positive integer, got ${capacity}`);
    }
    this.data = new Float32Array(capacity);
  }

  /** Absolute index one past the newest sample. */
  get end(): number {
    return this.written;
  }

  /** Absolute index of the oldest sample still held. */
  get start(): number {
    return Math.max(0, this.written - this.capacity);
  }

  write(samples: Float32Array): void {
    let src = samples;
    if (src.length > this.capacity) {
      this.written += src.length - this.capacity;
      src = src.subarray(src.length - this.capacity);
    }
    const at = this.written % this.capacity;
    const first = Math.min(src.length, this.capacity - at);
    this.data.set(src.subarray(0, first), at);
    if (first < src.length) this.data.set(src.subarray(first), 0);
    this.written += src.length;
  }

  /** Copies samples [from, from + length) into a new array. */
  read(from: number, length: number): Float32Array {
    if (from < this.start || from + length > this.written) {
      throw new RangeError(
        `Expected a range within samples ${this.start}..${this.written}, got ${from}..${from + length}`,
      );
    }
    const out = new Float32Array(length);
    const at = from % this.capacity;
    const first = Math.min(length, this.capacity - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < length) out.set(this.data.subarray(0, length - first), first);
    return out;
  }
}
