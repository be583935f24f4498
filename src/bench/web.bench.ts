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
 * real time, in one run: (a) `web.enabled: false`, (b) the page served but no page open, (c) one page open in
 * Debian's chromium (its own CPU is not the daemon's and is not counted). Ratios b/a and c/b.
 * Options: --web-seconds 60 (each phase), --chromium /usr/bin/chromium
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

/** CPU and mean RSS of `pid` over `seconds`. */
async function measure(pid: number, seconds: number): Promise<Figures> {
  const start = procStat(pid);
  const t0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 2000));
    const s = procStat(pid);
    if (s) rss.push(s.rssMb);
  }
  const stop = procStat(pid);
  if (!start || !stop) throw new Error(`the daemon (pid ${pid}) ended during the measurement`);
  const wall = (performance.now() - t0) / 1000;
  return {
    cpu: ((stop.cpuSec - start.cpuSec) / wall) * 100,
    rssMb: rss.reduce((a, b) => a + b, 0) / rss.length,
  };
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await done;
}

const show = (what: string, f: Figures) =>
  console.log(`${what}: CPU ${f.cpu.toFixed(2)} % of one core, RSS ${f.rssMb.toFixed(0)} MB`);

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "web-seconds": { type: "string", default: "60" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
    },
    strict: false,
    allowPositionals: true,
  });
  const seconds = Number(values["web-seconds"]);
  const chromium = String(values.chromium);
  const dir = mkdtempSync(join(tmpdir(), "babymon-bench-web-"));
  try {
    const mix = await buildMix({ ...DEFAULT_MIX, seed: 7, minutes: Math.ceil((seconds * 2 + 40) / 60) });
    const wav = join(dir, "mix.wav");
    writeFileSync(wav, encodeWav(mix.samples, 16000));
    console.log(
      `input: seeded evaluation mix at real time; each figure over ${seconds} s, after the model loaded`,
    );

    const off = await startDaemon(
      wav,
      { BABYMON_DATA_DIR: join(dir, "off"), BABYMON_WEB__ENABLED: "false" },
      "listening",
    );
    const a = await measure(off.pid!, seconds).finally(() => stopDaemon(off));
    show("(a) web.enabled false", a);

    const port = await freePort();
    const on = await startDaemon(
      wav,
      { BABYMON_DATA_DIR: join(dir, "on"), BABYMON_WEB__PORT: String(port) },
      "web page listening",
    );
    try {
      const b = await measure(on.pid!, seconds);
      show("(b) page served, none open", b);
      try {
        accessSync(chromium, constants.X_OK);
      } catch {
        console.log(`(c) skipped: no chromium at ${chromium} (apt-get install chromium, or --chromium PATH)`);
        console.log(`ratio b/a: CPU ${(b.cpu / a.cpu).toFixed(2)}, RSS ${(b.rssMb / a.rssMb).toFixed(2)}`);
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
        const c = await measure(on.pid!, seconds);
        const points = await page.evaluate("Number(document.body.dataset.points)");
        show(`(c) one page open (${points} points on its live graph)`, c);
        console.log(
          `ratios: b/a CPU ${(b.cpu / a.cpu).toFixed(2)}, RSS ${(b.rssMb / a.rssMb).toFixed(2)}; ` +
            `c/b CPU ${(c.cpu / b.cpu).toFixed(2)}, RSS ${(c.rssMb / b.rssMb).toFixed(2)}`,
        );
      } finally {
        await browser.close();
      }
    } finally {
      await stopDaemon(on);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
