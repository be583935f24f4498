import { Writable } from "node:stream";
import pino from "pino";

/** A pino logger that keeps its JSON lines in memory, so a test can assert what was logged. */
export function memoryLogger(level: pino.Level = "info") {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { log: pino({ level }, stream), lines };
}
