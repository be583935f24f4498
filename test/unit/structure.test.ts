import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import madge from "madge";
import { PROJECT_ROOT } from "../../src/version.js";

/** The house rules a newcomer relies on: small files, and modules that can be read in dependency order. */
const SRC = join(PROJECT_ROOT, "src");
const MAX_LINES = 500;
const TARGET_LINES = 400;

const sourceFiles = (): string[] =>
  (readdirSync(SRC, { recursive: true, encoding: "utf8" }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .sort();

function lineCount(file: string): number {
  const text = readFileSync(join(SRC, file), "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

test(`no file in src/ is over ${MAX_LINES} lines`, (t) => {
  const sizes = sourceFiles().map((file) => ({ file, lines: lineCount(file) }));
  const over = (n: number) => sizes.filter((s) => s.lines > n).map((s) => `src/${s.file}: ${s.lines} lines`);
  const overTarget = over(TARGET_LINES);
  if (overTarget.length > 0) t.diagnostic(`over the ~${TARGET_LINES}-line target: ${overTarget.join("; ")}`);
  assert.deepEqual(
    over(MAX_LINES),
    [],
    `split these files (at most ${MAX_LINES} lines, ~${TARGET_LINES} wanted)`,
  );
});

test("no import cycle in src/ (type-only imports count)", async () => {
  const graph = await madge(SRC, {
    fileExtensions: ["ts"],
    tsConfig: join(PROJECT_ROOT, "tsconfig.json"),
  });
  // every file parsed and every relative import resolved, or a cycle through an unresolved one would hide
  assert.deepEqual(Object.keys(graph.obj()).sort(), sourceFiles());
  const unresolvedLocal = graph.warnings().skipped.filter((s) => s.startsWith("."));
  assert.deepEqual(unresolvedLocal, [], "relative imports madge could not resolve");
  const cycles = graph.circular().map((cycle) => [...cycle, cycle[0]].map((f) => `src/${f}`).join(" → "));
  assert.deepEqual(cycles, [], "import cycles (move the shared part into its own module)");
});
