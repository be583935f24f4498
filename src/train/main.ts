#!/usr/bin/env node
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { defaultFeatureThreads } from "../dev/benchmark/feature-pool.js";
import { BACKEND_PREFERENCES, type BackendPreference, isBackendPreference } from "../inference/backend.js";
import { PROJECT_ROOT } from "../version.js";
import { runComparison } from "./compare/run-compare.js";
import { COMPARE_ARCHS, type CompareArch, isCompareArch } from "./compare/types.js";
import { DatasetError } from "./dataset.js";
import { runDetectorExport } from "./detector-export.js";
import { runTrainExport } from "./train-export.js";
import type { TrainExportOptions } from "./types.js";

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `Expected \`${name}\` to be an integer between ${min} and ${max}, got ${value}`,
      );
    }
    return n;
  };
}

/** Parses NAME[,NAME…] or "all" into compare archs. */
function archList(name: string) {
  return (value: string): CompareArch[] => {
    const names = value === "all" ? [...COMPARE_ARCHS] : value.split(",").map((v) => v.trim());
    for (const n of names) {
      if (!isCompareArch(n))
        throw new InvalidArgumentError(
          `Expected \`${name}\` to list archs of ${COMPARE_ARCHS.join(", ")} (or all), got ${n}`,
        );
    }
    return names as CompareArch[];
  };
}

/** `npm run train-export [-- options]`: train, evaluate honestly and export the cry and reason heads. */
export function trainExportCommand(): Command {
  return new Command("train-export")
    .description(
      "Train the cry/reason heads on YAMNet features, evaluate them with grouped CV and a hold-out test split, export models/<name>/",
    )
    .option(
      "--data <dir>",
      "labelled audio: <dir>/<label>/*, <dir>/{train,val,test}/<label>/, or babymon's shared layout",
      join(PROJECT_ROOT, "..", "shared", "data"),
    )
    .option("--name <name>", "model name (folder under models/)", "babymon-heads")
    .option("--out <dir>", "export folder (default models/<name>, or <run folder>/model with --smoke)")
    .option("--no-export", "evaluate only, write no model")
    .option("--runs <dir>", "where run folders (reports, plots) go", join(PROJECT_ROOT, "runs"))
    .option("--cache <dir>", "feature cache folder", join(PROJECT_ROOT, ".cache", "train-features"))
    .option("--no-cache", "recompute every feature")
    .option("--yamnet <dir>", "YAMNet model folder (default models/yamnet)")
    .option(
      "--backend <name>",
      `TF.js backend: ${BACKEND_PREFERENCES.join(", ")}`,
      (v: string) => {
        if (!isBackendPreference(v))
          throw new InvalidArgumentError(
            `Expected \`backend\` to be one of ${BACKEND_PREFERENCES.join(", ")}, got ${v}`,
          );
        return v;
      },
      "auto",
    )
    .option("--smoke", "tiny subset, few epochs: a quick end-to-end check (≤ 2 min)")
    .option(
      "--arch <names>",
      `the model comparison: ${COMPARE_ARCHS.join(", ")} (comma-separated, or all) on the same clips, folds and outputs; comparison.md + .json in the run folder`,
      archList("arch"),
    )
    .option(
      "--export-arch <names>",
      "with --arch: export these archs (comma-separated, or all) for the daemon, into <run folder>/export/<arch>/ (or --out/<arch>/)",
      archList("export-arch"),
    )
    .option(
      "--budget-minutes <n>",
      "with --arch: wall-clock minutes the patch archs may train in all (fewer folds for the large ones, epochs sized to fit)",
      int("budget-minutes", 1, 100000),
      150,
    )
    .option("--folds <n>", "grouped CV folds", int("folds", 2, 20))
    .option("--seeds <n>", "CV repetitions (fold assignments) for the FC head", int("seeds", 1, 20))
    .option("--mnv3-seeds <n>", "CV repetitions for the MobileNetV3 head", int("mnv3-seeds", 1, 20))
    .option(
      "--ensemble <n>",
      "members of each exported head, their logits averaged (default 5; 2 with --smoke)",
      int("ensemble", 1, 20),
    )
    .option(
      "--band-limit <hz>",
      "low-pass every clip at this frequency (0 = off; the daemon applies the same)",
      int("band-limit", 0, 8000),
      4000,
    )
    .option(
      "--feature-layer <n>",
      "YAMNet conv layer the MobileNetV3 head reads (23 → 6×4×512)",
      int("feature-layer", 1, 27),
      23,
    )
    .option("--silence <n>", "generated silence clips", int("silence", 0, 10000))
    .option("--no-augment", "no waveform augmentation (mixup stays)")
    .option(
      "--augment-negatives",
      "also one noise-mixed copy of every training household and laughter clip (default: cry clips only; on the held-out mixes it halved the cross-fitted false episodes but found fewer cries at ≤ 1 false episode/h)",
    )
    .option(
      "--quiet-copies <which>",
      "one quiet (−60…−30 dBFS RMS) copy of training clips: all (every class alike), household, or none (default: they did not raise recall at ≤ 1 false episode/h on the held-out mixes)",
      (v: string) => {
        if (v !== "all" && v !== "household" && v !== "none")
          throw new InvalidArgumentError(`Expected \`quiet-copies\` to be all, household or none, got ${v}`);
        return v;
      },
      "none",
    )
    .option(
      "--cry-active-db <dB>",
      "label a cry clip's patch as cry only within this many dB of the clip's loudest patch (0 = every patch)",
      int("cry-active-db", 0, 120),
      15,
    )
    .option(
      "--no-yamnet-stack",
      "never let YAMNet's class logits join the cry logit (by default they do when a second-level CV says they help)",
    )
    .option("--no-leaky", "skip the leaky comparison protocol")
    .option("--epochs <n>", "max epochs, FC head", int("epochs", 1, 1000))
    .option("--mnv3-epochs <n>", "max epochs, MobileNetV3 head", int("mnv3-epochs", 1, 1000))
    .option("--seed <n>", "random seed", int("seed", 0, 2 ** 31), 1)
    .option("--no-progress", "no progress bars")
    .option(
      "--legacy",
      "the FC + MobileNetV3 heads over 4 kHz band-limited features on ../shared/data (the export before issue 14) instead of the leave-source-out benchmark and the detector block",
    )
    .option("--budget <n>", "false episodes per hour the detector's operating point may cost", Number, 1)
    .option(
      "--feature-threads <n>",
      `worker threads computing the benchmark's uncached YAMNet features, one fold each (default: the ${defaultFeatureThreads()} cores; about 0.5 GB each)`,
      int("feature-threads", 1, 64),
    )
    .option(
      "--compare <dir>",
      "heads to score on the benchmark beside the candidates (default: the ones in the export folder)",
    )
    .action(async (opts) => {
      const smoke = Boolean(opts.smoke);
      if (opts.exportArch && !opts.arch) {
        console.error("train-export: --export-arch needs --arch (the archs to compare)");
        process.exitCode = 2;
        return;
      }
      if (!opts.legacy && !opts.arch) {
        if (resolve(opts.data) !== join(PROJECT_ROOT, "..", "shared", "data")) {
          console.error(
            `train-export: --data ${opts.data}: the benchmark reads ../shared/data and ../shared/more-data as they are; --data is for --legacy`,
          );
          process.exitCode = 2;
          return;
        }
        if (smoke) {
          console.error("train-export: --smoke is for --legacy; the benchmark has no smoke subset");
          process.exitCode = 2;
          return;
        }
        const outDir =
          opts.export === false
            ? null
            : opts.out
              ? resolve(opts.out)
              : join(PROJECT_ROOT, "models", opts.name);
        const result = await runDetectorExport({
          name: opts.name,
          outDir,
          runsDir: resolve(opts.runs),
          yamnetDir: opts.yamnet ? resolve(opts.yamnet) : undefined,
          compareDir: opts.compare ? resolve(opts.compare) : outDir,
          budgetPerHour: opts.budget,
          bootstrapReps: 1000,
          k: opts.folds ?? 5,
          ...(opts.featureThreads ? { featureThreads: opts.featureThreads } : {}),
          command: `npm run train-export${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
          log: (line) => console.error(line),
        });
        process.stdout.write(`${result.benchmark.markdown}\n`);
        console.error(`report: ${result.runDir}; done in ${result.seconds.toFixed(0)} s`);
        return;
      }
      const runsDir = resolve(opts.runs);
      const options: TrainExportOptions = {
        data: resolve(opts.data),
        outDir: null,
        name: opts.name,
        runsDir,
        cacheDir: opts.cache === false ? null : resolve(opts.cache),
        yamnetDir: opts.yamnet ? resolve(opts.yamnet) : undefined,
        backend: opts.backend as BackendPreference,
        smoke,
        folds: opts.folds ?? (smoke ? 3 : 5),
        seeds: opts.seeds ?? (smoke ? 1 : 2),
        mnv3Seeds: opts.mnv3Seeds ?? 1,
        ensemble: opts.ensemble ?? (smoke ? 2 : 5),
        testFraction: 0.2,
        bandLimitHz: opts.bandLimit,
        featureLayer: opts.featureLayer,
        patchStride: 2,
        silenceClips: opts.silence ?? (smoke ? 6 : 70),
        augment: opts.augment !== false,
        augmentNegatives: Boolean(opts.augmentNegatives),
        quietCopies: opts.quietCopies,
        leaky: opts.leaky !== false,
        cryActiveDb: opts.cryActiveDb,
        yamnetStack: opts.yamnetStack !== false,
        seed: opts.seed,
        maxEpochs: opts.epochs ?? (smoke ? 3 : 40),
        mnv3MaxEpochs: opts.mnv3Epochs ?? (smoke ? 2 : 20),
        mnv3SamplesPerEpoch: smoke ? 0 : 1500,
        bootstrapReps: smoke ? 50 : 1000,
        command: `npm run train-export${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
        log: (line) => console.error(line),
        progress: opts.progress !== false && process.stderr.isTTY === true,
      };
      if (opts.arch) {
        const result = await runComparison({
          ...options,
          archs: opts.arch,
          exportArchs: opts.exportArch ?? [],
          exportRoot: opts.out ? resolve(opts.out) : null,
          budgetMinutes: opts.budgetMinutes,
        });
        console.error(
          `comparison: ${join(result.runDir, "comparison.md")}; done in ${result.seconds.toFixed(0)} s`,
        );
        return;
      }
      if (opts.export !== false) {
        if (opts.out) options.outDir = resolve(opts.out);
        else if (smoke) options.exportIntoRun = true;
        else options.outDir = join(PROJECT_ROOT, "models", opts.name);
      }
      try {
        const result = await runTrainExport(options);
        console.error(`Done in ${result.seconds.toFixed(0)} s`);
      } catch (err) {
        if (err instanceof DatasetError) {
          console.error(`train-export: ${err.message}`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
}

if (process.argv[1] && resolve(process.argv[1]).endsWith(join("train", "main.js"))) {
  await trainExportCommand().parseAsync(process.argv);
}
