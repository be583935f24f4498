import { ByteBuffer } from "flatbuffers";

/** A TFLite file that cannot be read: names the file and what was wrong with it. */
export class TfliteFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: not a readable TFLite model: ${problem}`);
    this.name = "TfliteFormatError";
  }
}

/**
 * A flatbuffer reader that checks every offset against the file's length before following it, so a
 * truncated or corrupt file fails with a message instead of reading garbage.
 */
export class CheckedReader {
  readonly bb: ByteBuffer;
  readonly length: number;

  constructor(
    bytes: Uint8Array,
    readonly file: string,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.length = bytes.length;
  }

  fail(problem: string): never {
    throw new TfliteFormatError(this.file, problem);
  }

  need(pos: number, size: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || size < 0 || pos + size > this.length) {
      this.fail(
        `${what} at byte ${pos} (+${size}) lies outside the ${this.length}-byte file (truncated or corrupt)`,
      );
    }
  }

  /** Position of a table's field, or 0 when the field is absent. */
  field(table: number, id: number, what: string): number {
    this.need(table, 4, `table of ${what}`);
    const vtable = table - this.bb.readInt32(table);
    this.need(vtable, 4, `vtable of ${what}`);
    const vtableSize = this.bb.readUint16(vtable);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(`vtable of ${what} has invalid size ${vtableSize}`);
    this.need(vtable, vtableSize, `vtable of ${what}`);
    const slot = 4 + 2 * id;
    if (slot >= vtableSize) return 0;
    const off = this.bb.readUint16(vtable + slot);
    return off === 0 ? 0 : table + off;
  }

  /** Follows an offset stored at `pos` (uoffset_t) to the referenced object. */
  indirect(pos: number, what: string): number {
    this.need(pos, 4, what);
    const target = pos + this.bb.readUint32(pos);
    this.need(target, 4, what);
    return target;
  }

  table(table: number, id: number, what: string): number | null {
    const pos = this.field(table, id, what);
    return pos === 0 ? null : this.indirect(pos, what);
  }

  /** Start and length of a vector field with elements of `elementSize` bytes; null when absent. */
  vector(
    table: number,
    id: number,
    elementSize: number,
    what: string,
  ): { start: number; length: number } | null {
    const pos = this.field(table, id, what);
    if (pos === 0) return null;
    const vec = this.indirect(pos, what);
    const length = this.bb.readUint32(vec);
    this.need(vec + 4, length * elementSize, `${what} (${length} elements)`);
    return { start: vec + 4, length };
  }

  /** The elements of a vector field, each `elementSize` bytes, read by `read` (position, index); [] when absent. */
  private elements<T>(
    table: number,
    id: number,
    elementSize: number,
    what: string,
    read: (pos: number, i: number) => T,
  ): T[] {
    const v = this.vector(table, id, elementSize, what);
    const out: T[] = [];
    if (v) for (let i = 0; i < v.length; i++) out.push(read(v.start + elementSize * i, i));
    return out;
  }

  int32s(table: number, id: number, what: string): number[] {
    return this.elements(table, id, 4, what, (pos) => this.bb.readInt32(pos));
  }

  float32s(table: number, id: number, what: string): Float32Array {
    return Float32Array.from(this.elements(table, id, 4, what, (pos) => this.bb.readFloat32(pos)));
  }

  int64s(table: number, id: number, what: string): number[] {
    return this.elements(table, id, 8, what, (pos) => Number(this.bb.readInt64(pos)));
  }

  /** Table positions of a vector of tables. */
  tables(table: number, id: number, what: string): number[] {
    return this.elements(table, id, 4, what, (pos, i) => this.indirect(pos, `${what}[${i}]`));
  }

  string(table: number, id: number, what: string): string {
    const pos = this.field(table, id, what);
    if (pos === 0) return "";
    const str = this.indirect(pos, what);
    const length = this.bb.readUint32(str);
    this.need(str + 4, length, what);
    return new TextDecoder().decode(this.bb.bytes().subarray(str + 4, str + 4 + length));
  }

  /** A scalar field of `size` bytes read by `read`, or `fallback` when the field is absent. */
  private scalar(
    table: number,
    id: number,
    what: string,
    size: number,
    fallback: number,
    read: (pos: number) => number,
  ): number {
    const pos = this.field(table, id, what);
    if (pos === 0) return fallback;
    this.need(pos, size, what);
    return read(pos);
  }

  uint8(table: number, id: number, what: string, fallback = 0): number {
    return this.scalar(table, id, what, 1, fallback, (pos) => this.bb.readUint8(pos));
  }

  int8(table: number, id: number, what: string, fallback = 0): number {
    return this.scalar(table, id, what, 1, fallback, (pos) => this.bb.readInt8(pos));
  }

  int32(table: number, id: number, what: string, fallback = 0): number {
    return this.scalar(table, id, what, 4, fallback, (pos) => this.bb.readInt32(pos));
  }

  uint32(table: number, id: number, what: string, fallback = 0): number {
    return this.scalar(table, id, what, 4, fallback, (pos) => this.bb.readUint32(pos));
  }

  uint64(table: number, id: number, what: string, fallback = 0): number {
    return this.scalar(table, id, what, 8, fallback, (pos) => Number(this.bb.readUint64(pos)));
  }
}
