import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * `npm run bench`: runs every `*.bench.js` module beside this file (each exports `run(args)`), in name order,
 * or only those whose name contains one of the command-line arguments. Each prints its own figures.
 */
export interface BenchSection {
  run(args: string[]): Promise<void>;
}

const here = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.js"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`bench: no section matches ${JSON.stringify(filters)} in ${here}`);
  process.exit(2);
}
for (const file of files) {
  console.log(`\n## ${file.replace(/\.bench\.js$/, "")}`);
  const section = (await import(new URL(file, import.meta.url).href)) as BenchSection;
  await section.run(process.argv.slice(2));
}
