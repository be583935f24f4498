import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { HeadsModelError } from "./heads-error.js";

/** `dir`/manifest.json read and validated by `schema`; what is wrong with it is a HeadsModelError naming `dir`. */
export function readManifestFile<S extends z.ZodType>(dir: string, schema: S): z.infer<S> {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new HeadsModelError(dir, "no manifest.json (run `npm run train-export`)");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new HeadsModelError(dir, `manifest.json is not valid JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HeadsModelError(dir, `manifest.json: \`${issue?.path.join(".")}\` ${issue?.message}`);
  }
  return parsed.data;
}
