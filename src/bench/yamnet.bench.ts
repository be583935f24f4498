import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PATCH_SIZE } from "../dsp/frontend-params.js";
import { type BackendPreference, selectBackend } from "../inference/backend.js";
import { DEFAULT_YAMNET_DIR, YamnetModel } from "../inference/yamnet.js";
import { buildYamnetModel } from "../inference/yamnet-build.js";
import { MANIFEST_FILE, modelFolderBytes } from "../inference/yamnet-store.js";

/**
 * YAMNet section of `npm run bench`: per backend, in a child process of its own (so peak RSS is that
 * backend's alone): model load ms, ms per patch at batch 1 and batch 8 (median over repetitions), peak RSS.
 * Goals on the target: wasm ≤ 8 ms per patch at batch 8, peak RSS ≤ 150 MB.
 */
interface ChildFigures {
  backend: string;
  description: string;
  loadMs: number;
  msPerPatch: Record<string, number>;
  /** CPU time per patch (user + system, all threads): less sensitive than wall time to other load. */
  cpuMsPerPatch: Record<string, number>;
  peakRssMb: number;
}

const SELF = fileURLToPath(import.meta.url);
const CHILD_FLAG = "--yamnet-bench-child";
/** Repetitions per batch size: the cpu backend is ~40× slower than wasm. */
const REPS: Record<string, Record<number, number>> = {
  wasm: { 1: 40, 8: 12 },
  tensorflow: { 1: 40, 8: 12 },
  cpu: { 1: 5, 8: 2 },
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Deterministic log-mel-like patches (values in YAMNet's usual −7…3 range). */
function syntheticPatches(n: number): Float32Array[] {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  return Array.from({ length: n }, () => Float32Array.from({ length: PATCH_SIZE }, () => -7 + 10 * rnd()));
}

async function child(pref: BackendPreference, dir: string): Promise<void> {
  const active = await selectBackend(pref);
  const t0 = performance.now();
  const model = await YamnetModel.load(dir);
  const loadMs = performance.now() - t0;
  const patches = syntheticPatches(8);
  const msPerPatch: Record<string, number> = {};
  const cpuMsPerPatch: Record<string, number> = {};
  for (const batch of [1, 8]) {
    const input = patches.slice(0, batch);
    model.predict(input); // warm-up (kernel compilation, allocations)
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let r = 0; r < (REPS[active.name]?.[batch] ?? 5); r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      model.predict(input);
      const cpu = process.cpuUsage(c);
      times.push((performance.now() - t) / batch);
      cpuTimes.push((cpu.user + cpu.system) / 1000 / batch);
    }
    msPerPatch[`batch${batch}`] = median(times);
    cpuMsPerPatch[`batch${batch}`] = median(cpuTimes);
  }
  model.dispose();
  const figures: ChildFigures = {
    backend: active.name,
    description: active.description,
    loadMs,
    msPerPatch,
    cpuMsPerPatch,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function backendsToTry(args: string[]): BackendPreference[] {
  const flag = args.find((a) => a.startsWith("--backend="));
  if (flag) return [flag.slice("--backend=".length) as BackendPreference];
  return ["node", "wasm", "cpu"];
}

function cell(f: ChildFigures, key: string): string {
  return `${f.msPerPatch[key]!.toFixed(2)} (${f.cpuMsPerPatch[key]!.toFixed(2)})`;
}

export async function run(args: string[]): Promise<void> {
  const dir = DEFAULT_YAMNET_DIR;
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    const built = await buildYamnetModel({ out: dir });
    console.log(`built ${dir} first (${Math.round(built.ms)} ms)`);
  }
  const model = await import("../inference/yamnet-store.js").then((m) => m.readManifest(dir)!);
  console.log(
    `model: ${model.source.file}, ${model.layers.length} layers, ${(modelFolderBytes(dir, model) / 1e6).toFixed(2)} MB on disk (${dir})`,
  );
  console.log(
    "ms/patch: median wall time (CPU time in brackets; wall time grows when other work shares the cores)",
  );
  console.log("backend                          load ms  ms/patch b1       ms/patch b8       peak RSS MB");
  const run = promisify(execFile);
  for (const pref of backendsToTry(args)) {
    try {
      const { stdout } = await run(process.execPath, [SELF, CHILD_FLAG, pref, dir], { maxBuffer: 1 << 20 });
      const f = JSON.parse(stdout.trim().split("\n").pop()!) as ChildFigures;
      const pad = (s: string, n: number) => s.padStart(n);
      console.log(
        `${f.description.padEnd(32)} ${pad(f.loadMs.toFixed(0), 7)}  ${pad(cell(f, "batch1"), 16)}  ${pad(cell(f, "batch8"), 16)}  ${pad(f.peakRssMb.toFixed(0), 11)}`,
      );
      if (f.backend === "wasm") {
        const b8 = f.msPerPatch.batch8!;
        console.log(
          `goals (wasm): ≤ 8 ms/patch at batch 8: ${b8 <= 8 ? "met" : "NOT met"} (${b8.toFixed(2)} wall, ${f.cpuMsPerPatch.batch8!.toFixed(2)} CPU); peak RSS ≤ 150 MB: ${f.peakRssMb <= 150 ? "met" : "NOT met"} (${f.peakRssMb.toFixed(0)})`,
        );
      }
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      const reason = stderr.match(/BackendError: (.*)/)?.[1] ?? (err as Error).message.split("\n")[0];
      console.log(`${pref.padEnd(32)} not available: ${reason}`);
    }
  }
}

if (process.argv[1] === SELF && process.argv[2] === CHILD_FLAG) {
  await child(process.argv[3] as BackendPreference, process.argv[4]!);
}
