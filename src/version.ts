import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The project root (the folder with package.json), from the compiled or the tsx-run location alike. */
export const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));

export function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
