import { mkdirSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { PROJECT_ROOT } from "../../src/version.js";
import { findTool } from "../support/tools.js";

/** Where a test writes what a person looks at afterwards (screenshots): test-output/<name>/ (git-ignored). */
export function testOutputDir(name: string): string {
  const dir = join(process.env.BABYMON_TEST_OUTPUT ?? join(PROJECT_ROOT, "test-output"), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Debian's chromium (apt-get install chromium; `.ci/run` installs it), headless, through puppeteer-core. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findTool("chromium");
  if (!executablePath) throw new Error("chromium not found on PATH (apt-get install chromium)");
  return puppeteer.launch({ executablePath, headless: true, args: ["--no-sandbox", "--headless=new"] });
}

/** A parsed Prometheus text exposition: `name{labels}` → value, and the `# TYPE` of each family. */
export interface PromText {
  samples: Map<string, number>;
  types: Map<string, string>;
}

/** Parses the Prometheus text format (what prom-client writes and Prometheus reads); throws on a malformed line. */
export function parsePrometheus(text: string): PromText {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const [n, line] of text.split("\n").entries()) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`line ${n + 1} of /metrics is not a Prometheus sample: ${JSON.stringify(line)}`);
    const value = m[2] === "+Inf" ? Infinity : m[2] === "-Inf" ? -Infinity : Number(m[2]);
    if (Number.isNaN(value) && m[2] !== "NaN")
      throw new Error(`line ${n + 1}: value ${m[2]} is not a number`);
    samples.set(m[1], value);
  }
  return { samples, types };
}
