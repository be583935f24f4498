import { readFileSync } from "node:fs";

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) and resident memory of a process, from /proc; null once it is gone. */
export function procStat(pid: number): { cpuSec: number; rssMb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSec = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSec, rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}
