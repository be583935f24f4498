import { readFileSync } from "node:fs";

const TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds (user + system), resident memory and its peak so far (the kernel's VmHWM, so a peak between two
 * samples is not missed) of a process, from /proc; null once it is gone.
 */
export function procStat(pid: number): { cpuSec: number; rssMb: number; peakRssMb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSec = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSec, rssMb: rssKb / 1024, peakRssMb: hwmKb / 1024 };
  } catch {
    return null;
  }
}

/**
 * Samples a child process from /proc every `everyMs` until it exits: its last CPU seconds and its peak RSS (VmHWM,
 * and the largest RSS sampled). A zombie keeps its /proc entry until reaped, so the last sample is close to the end.
 */
export function sampleProcess(pid: number, everyMs = 250) {
  let last: ReturnType<typeof procStat> = null;
  let peak = 0;
  const take = () => {
    const s = procStat(pid);
    if (!s) return;
    last = s;
    peak = Math.max(peak, s.rssMb, s.peakRssMb);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    take,
    /** Stops sampling; CPU seconds and peak RSS (MB) as last seen. */
    stop(): { cpuSec: number; peakRssMb: number } {
      clearInterval(timer);
      const s = last as ReturnType<typeof procStat>;
      return { cpuSec: s?.cpuSec ?? 0, peakRssMb: peak };
    },
  };
}
