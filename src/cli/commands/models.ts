import { relative } from "node:path";
import type { Command } from "commander";
import { buildYamnetModel } from "../../inference/yamnet-build.js";
import { PROJECT_ROOT } from "../../version.js";

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel || ".";
}

/**
 * `babymon models`: builds the TF.js form of YAMNet from a TFLite file. Source, in order: --url, --tflite /
 * BABYMON_YAMNET_TFLITE, ../shared/models/yamnet/yamnet-frames-dynamic-int8.tflite.
 */
export function register(program: Command): void {
  program
    .command("models")
    .description(
      "Build the TF.js YAMNet model folder (quantized weights + manifest) from a YAMNet TFLite file; fast no-op when up to date",
    )
    .option(
      "--tflite <path>",
      "YAMNet TFLite file (default: $BABYMON_YAMNET_TFLITE, then ../shared/models/yamnet/yamnet-frames-dynamic-int8.tflite)",
    )
    .option("--url <url>", "download the TFLite file from this http(s):// or file:// address")
    .option(
      "--out <dir>",
      "output folder (default models/yamnet, or models/yamnet-classifier for yamnet-classifier-int8.tflite)",
    )
    .option("--force", "rebuild even when the output is up to date", false)
    .action(async (opts: { tflite?: string; url?: string; out?: string; force: boolean }) => {
      try {
        const result = await buildYamnetModel(opts);
        const m = result.manifest;
        const conv = m.layers.filter((l) => l.op !== "dense").length;
        const kinds = new Map<string, number>();
        for (const l of m.layers) kinds.set(l.quantization, (kinds.get(l.quantization) ?? 0) + 1);
        const verb = result.status === "built" ? "built" : "up to date:";
        console.log(
          `models: ${verb} ${shown(result.outDir)} from ${m.source.file} (sha256 ${m.source.sha256.slice(0, 12)}…, ${mb(m.source.bytes)})`,
        );
        console.log(
          `models: ${m.layers.length} layers (${conv} conv + dense ${m.embeddingSize}→${m.classes}); weights ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}`,
        );
        console.log(
          `models: ${mb(result.bytesOnDisk)} on disk (manifest, ${m.weights.file}${m.classMap ? `, ${m.classMap.file}` : ""}) in ${Math.round(result.ms)} ms`,
        );
        if (!result.outDir.startsWith(PROJECT_ROOT)) {
          console.log(
            `models: note: ${result.outDir} is outside the project; pass it to commands that load YAMNet`,
          );
        }
      } catch (err) {
        console.error(`models: ${(err as Error).message}`);
        process.exitCode = 1;
      }
    });
}
