import { type BackendName, selectBackend } from "../../inference/backend.js";
import { secondsPerTrainingPatch } from "./budget.js";
import type { ArchFitter, EpochTiming } from "./types.js";

/**
 * One fixed synthetic training epoch (`patches` random patches in batches of `batchSize`: forward, backward,
 * Adam step) of `fitter`'s model on each backend in turn, then back to the backend the run uses.
 */
export async function epochTiming(
  fitter: ArchFitter,
  patches: number,
  batchSize: number,
  backends: readonly BackendName[],
  restore: BackendName,
  log: (line: string) => void,
): Promise<EpochTiming> {
  const seconds: Record<string, number> = {};
  try {
    for (const backend of backends) {
      await selectBackend(backend === "tensorflow" ? "node" : backend);
      const model = fitter.build(1);
      const perPatch = await secondsPerTrainingPatch(
        model,
        fitter.inputShape,
        batchSize,
        Math.max(1, Math.round(patches / batchSize)),
      );
      model.dispose();
      seconds[backend] = perPatch * patches;
      log(
        `  ${fitter.arch}: one epoch of ${patches} patches on ${backend}: ${seconds[backend].toFixed(2)} s`,
      );
    }
  } finally {
    await selectBackend(restore === "tensorflow" ? "node" : restore);
  }
  return { arch: fitter.arch, patches, batchSize, seconds };
}
