import { type BackendName, selectBackend } from "../../inference/backend.js";
import { secondsPerTrainingPatch } from "./budget.js";
import type { ArchFitter, EpochTiming } from "./types.js";

/** How many random patches are timed on one backend: `batches` batches of `batchSize` after a warm-up batch. */
export interface TimedBackend {
  backend: BackendName;
  batchSize: number;
  batches: number;
}

/**
 * The time of one training epoch of `epochPatches` patches (forward, backward, Adam step) of `fitter`'s model on
 * each backend in turn — measured on `batches` × `batchSize` random patches after a warm-up batch and scaled to
 * the epoch (the cpu backend's conv gradients are too slow to time a whole epoch here) — then back to `restore`.
 */
export async function epochTiming(
  fitter: ArchFitter,
  epochPatches: number,
  backends: readonly TimedBackend[],
  restore: BackendName,
  log: (line: string) => void,
): Promise<EpochTiming> {
  const seconds: Record<string, number> = {};
  const measuredPatches: Record<string, number> = {};
  try {
    for (const b of backends) {
      await selectBackend(b.backend === "tensorflow" ? "node" : b.backend);
      const model = fitter.build(1);
      const perPatch = await secondsPerTrainingPatch(model, fitter.inputShape, b.batchSize, b.batches);
      model.dispose();
      seconds[b.backend] = perPatch * epochPatches;
      measuredPatches[b.backend] = b.batchSize * b.batches;
      log(
        `  ${fitter.arch}: one epoch of ${epochPatches} patches on ${b.backend}: ${seconds[b.backend].toFixed(2)} s (${(1 / perPatch).toFixed(2)} patches/s over ${b.batches} × ${b.batchSize})`,
      );
    }
  } finally {
    await selectBackend(restore === "tensorflow" ? "node" : restore);
  }
  return { arch: fitter.arch, patches: epochPatches, measuredPatches, seconds };
}
