import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../version.js";

/** YAMNet's class map (yamnet_class_map.csv: `index,mid,display_name`). */
export interface ClassMap {
  /** Display names by class index. */
  readonly names: readonly string[];
  /** AudioSet machine ids (e.g. /m/09x0r) by class index. */
  readonly mids: readonly string[];
  /** Index of a display name, or -1. */
  indexOf(name: string): number;
}

export const SHARED_CLASS_MAP = join(
  PROJECT_ROOT,
  "..",
  "shared",
  "models",
  "yamnet",
  "yamnet_class_map.csv",
);

/** Splits one CSV line, honouring double quotes (display names contain commas). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function parseClassMap(csv: string, source: string): ClassMap {
  const lines = csv.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines.shift();
  if (header?.trim() !== "index,mid,display_name") {
    throw new Error(`${source}: expected the header "index,mid,display_name", got ${JSON.stringify(header)}`);
  }
  const names: string[] = [];
  const mids: string[] = [];
  for (const [n, line] of lines.entries()) {
    const [index, mid, name] = splitCsvLine(line);
    if (Number(index) !== n || mid === undefined || name === undefined) {
      throw new Error(`${source}: line ${n + 2} should be "${n},<mid>,<name>", got ${JSON.stringify(line)}`);
    }
    names.push(name);
    mids.push(mid);
  }
  const byName = new Map(names.map((name, i) => [name, i]));
  return { names, mids, indexOf: (name) => byName.get(name) ?? -1 };
}

/**
 * Loads the class map: from `path` when given, else from the model folder (copied there by `npm run models`),
 * else from ../shared.
 */
export function loadClassMap(path?: string, modelDir = join(PROJECT_ROOT, "models", "yamnet")): ClassMap {
  const candidates = path ? [path] : [join(modelDir, "yamnet_class_map.csv"), SHARED_CLASS_MAP];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `YAMNet class map not found (looked at ${candidates.join(", ")}); run \`npm run models\``,
    );
  return parseClassMap(readFileSync(found, "utf8"), found);
}
