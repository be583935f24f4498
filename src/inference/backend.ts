import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TF from "@tensorflow/tfjs-core";

const require = createRequire(import.meta.url);

/**
 * TF.js core, loaded with require(): the packages are CommonJS bundles, and importing them through the ESM
 * loader costs ~20 MB more resident memory (its CommonJS export scan of the 1.2 MB bundle) for the same
 * module instance. Use `import { tf } from "./backend.js"` (types: `import type * as TF from "@tensorflow/tfjs-core"`).
 */
export const tf: typeof TF = require("@tensorflow/tfjs-core");

/**
 * Picks the TF.js backend: `@tensorflow/tfjs-node` when installed and loadable (optional dependency), else
 * `@tensorflow/tfjs-backend-wasm` (SIMD), else `@tensorflow/tfjs-backend-cpu`. `auto` falls through that list;
 * a named preference fails with a message when that backend cannot be loaded.
 */
export const BACKEND_PREFERENCES = ["auto", "node", "wasm", "cpu"] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];
/** TF.js backend names: tfjs-node registers "tensorflow". */
export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface ActiveBackend {
  name: BackendName;
  /** Human-readable detail, e.g. "wasm (SIMD, 1 thread)". */
  description: string;
  /** Why earlier candidates were skipped (auto only). */
  skipped: string[];
}

export class BackendError extends Error {
  override name = "BackendError";
}

export function isBackendPreference(value: string): value is BackendPreference {
  return (BACKEND_PREFERENCES as readonly string[]).includes(value);
}

/** Folder holding the wasm binaries of @tensorflow/tfjs-backend-wasm (with a trailing slash). */
export function wasmBinaryDir(): string {
  const main = require.resolve("@tensorflow/tfjs-backend-wasm");
  return `${join(dirname(main), "/")}`;
}

const NODE_DESCRIPTION = "tensorflow (tfjs-node, native libtensorflow)";

async function tryNode(): Promise<void> {
  require("@tensorflow/tfjs-node");
  if (!(await tf.setBackend("tensorflow")))
    throw new Error("tfjs-node loaded but its backend did not initialise");
}

async function tryWasm(threads?: number): Promise<void> {
  const wasm: typeof import("@tensorflow/tfjs-backend-wasm") = require("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(wasmBinaryDir());
  if (threads !== undefined) wasm.setThreadsCount(threads);
  // The Emscripten runtime installs process-wide uncaughtException/unhandledRejection handlers that rethrow,
  // which makes Node print the whole minified wasm glue (~100 kB) with any unrelated crash. Remove them.
  const before = {
    uncaughtException: process.listeners("uncaughtException"),
    unhandledRejection: process.listeners("unhandledRejection"),
  };
  try {
    if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not initialise");
  } finally {
    for (const listener of process.listeners("uncaughtException")) {
      if (!before.uncaughtException.includes(listener)) process.removeListener("uncaughtException", listener);
    }
    for (const listener of process.listeners("unhandledRejection")) {
      if (!before.unhandledRejection.includes(listener))
        process.removeListener("unhandledRejection", listener);
    }
  }
}

function describeWasm(): string {
  const wasm: typeof import("@tensorflow/tfjs-backend-wasm") = require("@tensorflow/tfjs-backend-wasm");
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
  const n = wasm.getThreadsCount();
  return `wasm (${simd ? "SIMD" : "no SIMD"}, ${n} thread${n === 1 ? "" : "s"})`;
}

async function tryCpu(): Promise<void> {
  require("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend did not initialise");
  // Its first write prints a banner recommending tfjs-node; selectBackend already says which backend runs.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

const CANDIDATES: Array<{
  pref: Exclude<BackendPreference, "auto">;
  name: BackendName;
  load: () => Promise<void>;
  describe: () => string;
}> = [
  { pref: "node", name: "tensorflow", load: tryNode, describe: () => NODE_DESCRIPTION },
  { pref: "wasm", name: "wasm", load: () => tryWasm(), describe: describeWasm },
  { pref: "cpu", name: "cpu", load: tryCpu, describe: () => "cpu (plain JavaScript)" },
];

/**
 * Activates a backend and returns which one is in use; `log` receives one line saying so. Calling it again
 * with the same preference is cheap (TF.js's own engine says which backend is active; nothing else is kept);
 * a different preference switches the global TF.js backend.
 */
export async function selectBackend(
  pref: BackendPreference = "auto",
  log: (line: string) => void = () => {},
): Promise<ActiveBackend> {
  if (!isBackendPreference(pref)) {
    throw new BackendError(
      `Expected \`backend\` to be one of ${BACKEND_PREFERENCES.join(", ")}, got ${JSON.stringify(pref)}`,
    );
  }
  const current = activeBackend();
  if (current && (pref === "auto" || CANDIDATES.find((c) => c.pref === pref)?.name === current.name)) {
    return current;
  }
  const skipped: string[] = [];
  for (const candidate of CANDIDATES) {
    if (pref !== "auto" && candidate.pref !== pref) continue;
    try {
      await candidate.load();
      const description = candidate.describe();
      log(`TF.js backend: ${description}${skipped.length ? ` (skipped: ${skipped.join("; ")})` : ""}`);
      return { name: candidate.name, description, skipped };
    } catch (err) {
      const reason = `${candidate.pref}: ${(err as Error).message.split("\n")[0]}`;
      if (pref !== "auto") throw new BackendError(`Cannot use the ${candidate.pref} backend: ${reason}`);
      skipped.push(reason);
    }
  }
  throw new BackendError(`No TF.js backend could be loaded (${skipped.join("; ")})`);
}

/**
 * The backend TF.js runs on, or null before selectBackend activated one (only selectBackend loads and
 * registers babymon's backends). `skipped` is empty: why earlier candidates failed is said by selectBackend.
 */
export function activeBackend(): ActiveBackend | null {
  const name = tf.getBackend();
  const candidate = CANDIDATES.find((c) => c.name === name);
  return candidate ? { name: candidate.name, description: candidate.describe(), skipped: [] } : null;
}
