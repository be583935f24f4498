import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HeadsModelError } from "./heads-error.js";

/**
 * The parsed JSON of `<dir>/manifest.json`, not yet validated; HeadsModelError when it is missing or not JSON.
 * Without TF.js: the detector block and the heads' identity are read before (or without) loading any head.
 */
export function readHeadsManifestJson(dir: string): unknown {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new HeadsModelError(dir, "no manifest.json (run `npm run train-export`)");
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new HeadsModelError(dir, `manifest.json is not valid JSON (${(err as Error).message})`);
  }
}
