import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { HeadsModelError } from "./heads-error.js";

/**
 * The parsed JSON of `<dir>/manifest.json`, not yet validated; HeadsModelError when it is missing or not JSON.
 * Without TF.js: the detector block and the heads' identity are read before (or without) loading any model.
 */
export function readManifestJson(dir: string): unknown {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new HeadsModelError(dir, "no manifest.json (run `npm run train-export`)");
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new HeadsModelError(dir, `manifest.json is not valid JSON (${(err as Error).message})`);
  }
}

/** `dir`/manifest.json read and validated by `schema`; what is wrong with it is a HeadsModelError naming `dir`. */
export function readManifestFile<S extends z.ZodType>(dir: string, schema: S): z.infer<S> {
  const parsed = schema.safeParse(readManifestJson(dir));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HeadsModelError(dir, `manifest.json: \`${issue?.path.join(".")}\` ${issue?.message}`);
  }
  return parsed.data;
}
