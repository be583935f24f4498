import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeWav } from "../audio/wav.js";
import { buildMix, DEFAULT_MIX } from "../dev/mix.js";
import { PROJECT_ROOT } from "../version.js";
import { procStat } from "./proc-stat.js";

/**
 * What the web page costs the daemon: CPU (% of one core) and RSS of `run` replaying the seeded evaluation mix at
 * real time. Two daemons run side by side over the same seconds, so the load of a shared machine falls on both
 * alike: (a) with `web.enabled: false`, (b) with the page served. Three periods: no page open, one page open on
 * (b) in Debian's chromium (the browser's own CPU is not counted), no page again. Each period prints both and the
 * ratio b/a. Options: --web-seconds 45 (each period), --chromium /usr/bin/chromium
 */
const CLI = join(PROJECT_ROOT, "dist", "cli", "main.js");

interface Figures {
  cpu: number;
  rssMb: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** Starts `run` and resolves once it logs `msg` (the model is loaded and audio flows). */
async function startDaemon(wav: string, env: Record<string, string>, msg: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "run", "--input", wav], {
    env: { ...process.env, BABYMON_MQTT__ENABLED: "false", BABYMON_GPIO__ENABLED: "false", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let buf = "";
    const onData = (c: Buffer) => {
      buf += c.toString();
      if (buf.includes(`"msg":"${msg}"`)) {
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`run exited (${code}) before logging "${msg}"`)));
  });
  return child;
}

/** CPU and mean RSS of each pid over the same `seconds`. */
async function measure(pids: number[], seconds: number): Promise<Figures[]> {
  const start = pids.map(procStat);
  const t0 = performance.now();
  const rss: number[][] = pids.map(() => []);
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 2000));
    pids.forEach((pid, i) => {
      const s = procStat(pid);
      if (s) rss[i].push(s.rssMb);
    });
  }
  const wall = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => {
    const [a, b] = [start[i], procStat(pid)];
    if (!a || !b) throw new Error(`a daemon (pid ${pid}) ended during the measurement`);
    return {
      cpu: ((b.cpuSec - a.cpuSec) / wall) * 100,
      rssMb: rss[i].reduce((x, y) => x + y, 0) / rss[i].length,
    };
  });
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await done;
}

const figures = (f: Figures) => `CPU ${f.cpu.toFixed(2)} % of one core, RSS ${f.rssMb.toFixed(0)} MB`;

function show(period: string, [a, b]: Figures[]): void {
  console.log(
    `${period}: (a) web off ${figures(a)}; (b) web on ${figures(b)}; ` +
      `b/a CPU ${(b.cpu / a.cpu).toFixed(2)}, RSS ${(b.rssMb / a.rssMb).toFixed(2)}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "web-seconds": { type: "string", default: "45" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
    },
    strict: false,
    allowPositionals: true,
  });
  const seconds = Number(values["web-seconds"]);
  const chromium = String(values.chromium);
  const dir = mkdtempSync(join(tmpdir(), "babymon-bench-web-"));
  const daemons: ChildProcess[] = [];
  try {
    const mix = await buildMix({ ...DEFAULT_MIX, seed: 7, minutes: Math.ceil((seconds * 3 + 60) / 60) });
    const wav = join(dir, "mix.wav");
    writeFileSync(wav, encodeWav(mix.samples, 16000));
    console.log(
      `input: seeded evaluation mix at real time, two daemons side by side; each period ${seconds} s`,
    );
    const port = await freePort();
    const [off, on] = await Promise.all([
      startDaemon(wav, { BABYMON_DATA_DIR: join(dir, "off"), BABYMON_WEB__ENABLED: "false" }, "listening"),
      startDaemon(
        wav,
        { BABYMON_DATA_DIR: join(dir, "on"), BABYMON_WEB__PORT: String(port) },
        "web page listening",
      ),
    ]);
    daemons.push(off, on);
    const pids = [off.pid!, on.pid!];
    show("no page open", await measure(pids, seconds));
    try {
      accessSync(chromium, constants.X_OK);
    } catch {
      console.log(
        `one page open: skipped, no chromium at ${chromium} (apt-get install chromium, or --chromium PATH)`,
      );
      return;
    }
    const { default: puppeteer } = await import("puppeteer-core");
    const browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/#now`);
      await page.waitForFunction("Number(document.body.dataset.points ?? 0) > 0", { timeout: 30_000 });
      const open = await measure(pids, seconds);
      show(
        `one page open (${await page.evaluate("document.body.dataset.points")} points on its graph)`,
        open,
      );
    } finally {
      await browser.close();
    }
    show("no page open again", await measure(pids, seconds));
  } finally {
    await Promise.all(daemons.map(stopDaemon));
    rmSync(dir, { recursive: true, force: true });
  }
}
