import { readdirSync } from "node:fs";
import { join } from "node:path";
import { groupFromFileName } from "../train/dataset.js";
import { groupedStratifiedFolds } from "../train/split.js";
import { SHARED_DATA } from "./mix.js";

/**
 * Splits the files trained heads never saw (everything under ../shared/data not in `trainingFiles`) into two
 * halves by group (Donate-a-Cry install, ESC-50 source, laugh recording), stratified by folder (cry reason,
 * household class), so an episode threshold can be chosen on mixes of one half and reported on mixes of the
 * other: no clip and no family is on both sides. Paths are relative to `dataDir` (../shared/data).
 */
export function heldOutHalves(
  trainingFiles: ReadonlySet<string>,
  seed = 1,
  dataDir = SHARED_DATA,
): [Set<string>, Set<string>] {
  const items: Array<{ file: string; group: string; label: string }> = [];
  const add = (folder: string, label: "hungry" | "noise" | "laugh") => {
    for (const name of readdirSync(join(dataDir, folder)).sort()) {
      const file = `${folder}/${name}`;
      if (!name.endsWith(".wav") || trainingFiles.has(file)) continue;
      items.push({ file, group: groupFromFileName(file, label), label: folder });
    }
  };
  const subfolders = (dir: string) =>
    readdirSync(join(dataDir, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${dir}/${d.name}`)
      .sort();
  // the reason does not change the group rule (install uuid), so any reason label will do here
  for (const folder of subfolders("donateacry")) add(folder, "hungry");
  for (const folder of subfolders("household")) add(folder, "noise");
  add("laugh", "laugh");
  if (items.length === 0) throw new Error(`Expected held-out files in ${dataDir}, got none`);
  const fold = groupedStratifiedFolds(items, 2, seed);
  const halves: [Set<string>, Set<string>] = [new Set(), new Set()];
  items.forEach((item, i) => {
    halves[fold[i]].add(item.file);
  });
  return halves;
}

/**
 * The files a held-out mix leaves out: every file the heads trained on, plus, for `half` a or b, the files of the
 * other half (`halves` from heldOutHalves, computed here when not given).
 */
export function heldOutExclusion(
  trainingFiles: ReadonlySet<string>,
  half?: "a" | "b",
  halves?: [Set<string>, Set<string>],
): Set<string> {
  const exclude = new Set(trainingFiles);
  if (!half) return exclude;
  const [a, b] = halves ?? heldOutHalves(trainingFiles);
  for (const f of half === "a" ? b : a) exclude.add(f);
  return exclude;
}
