/**
 * The leave-source-out detection benchmark, the figure of record for every model choice (src/dev/benchmark/).
 *
 *   npx tsx scripts/eval-detection.ts [--folds 5] [--budget 1] [--shipped DIR | --no-shipped] [--out runs/benchmark]
 */
import { evalDetection, parseEvalDetectionArgs } from "../src/dev/benchmark/cli.js";

await evalDetection(parseEvalDetectionArgs(process.argv.slice(2)), (line) =>
  process.stderr.write(`${line}\n`),
);
