import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function whoAmI(): string {
  return process.getuid ? `uid ${process.getuid()}` : "this user";
}

/**
 * Why babymon could not write files in `dir` (creating it if missing), in words with the path; null when it can.
 * Nothing is created: `check-config` asks the same question `run` does before opening the database.
 */
export function whyNotWritable(dir: string): string | null {
  let at = dir;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      if ((code(err) === "ENOENT" || code(err) === "ENOTDIR") && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      return `${at} cannot be examined (${code(err)})`;
    }
    const missing = at === dir ? "" : `${dir} does not exist and cannot be created: `;
    if (!isDir) return `${missing}${at} is not a directory`;
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
    } catch (err) {
      const c = code(err);
      const reason = c === "EROFS" ? "is on a read-only file system" : `is not writable by ${whoAmI()}`;
      return `${missing}${at} ${reason} (${c})`;
    }
    return null;
  }
}

/** Why an existing file could not be opened for writing; null when it can (or does not exist yet). */
export function whyFileNotWritable(path: string): string | null {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return null;
  } catch (err) {
    const c = code(err);
    if (c === "ENOENT") return null;
    return c === "EROFS"
      ? `${path} is on a read-only file system (EROFS)`
      : `${path} is not readable and writable by ${whoAmI()} (${c})`;
  }
}
