/** Signed 16-bit little-endian PCM (any chunking, odd bytes carried over) → floats. */
export class S16Decoder {
  private carry: number | null = null;

  decode(chunk: Buffer): Float32Array {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([Buffer.from([this.carry]), chunk]);
      this.carry = null;
    }
    const n = buf.length >> 1;
    if (buf.length & 1) this.carry = buf[buf.length - 1];
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2) / 32768;
    return out;
  }
}
