import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import { REASONS, type Reason } from "../events.js";

/** Non-cry classes: what the original research called its "other" classes. */
export const NON_CRY_LABELS = ["noise", "laugh", "silence"] as const;
export type NonCryLabel = (typeof NON_CRY_LABELS)[number];
export type TrainLabel = Reason | NonCryLabel;
export const TRAIN_LABELS: readonly TrainLabel[] = [...REASONS, ...NON_CRY_LABELS];

export const AUDIO_EXTENSIONS = [".wav", ".mp3", ".ogg", ".flac", ".3gp", ".m4a", ".webm", ".opus", ".aac"];

/** Folder names accepted for a label, besides the label itself. */
const LABEL_ALIASES: Record<string, TrainLabel> = {
  "belly pain": "belly_pain",
  bellypain: "belly_pain",
  bp: "belly_pain",
  hu: "hungry",
  bu: "burping",
  dc: "discomfort",
  ti: "tired",
  cold_hot: "discomfort",
  household: "noise",
  other: "noise",
  laughter: "laugh",
  laughing_baby: "laugh",
  quiet: "silence",
};

export type SplitName = "train" | "val" | "test";

export interface ClipSource {
  /** Absolute path of the audio file. */
  path: string;
  /** Path relative to the data root (stable id; also the key in groups.csv). */
  relPath: string;
  label: TrainLabel;
  /** Clips of one group (one family, one source recording) always stay on the same side of a split. */
  group: string;
  /** Set when the data came pre-split as <root>/{train,val,test}/<label>/. */
  presplit?: SplitName;
}

export interface Dataset {
  root: string;
  layout: "babymon-shared" | "labelled-folders" | "presplit";
  clips: ClipSource[];
}

export class DatasetError extends Error {
  override name = "DatasetError";
}

export function isCryLabel(label: TrainLabel): label is Reason {
  return (REASONS as readonly string[]).includes(label);
}

export function normaliseLabel(folder: string): TrainLabel | undefined {
  const key = folder.trim().toLowerCase();
  if ((TRAIN_LABELS as readonly string[]).includes(key)) return key as TrainLabel;
  return LABEL_ALIASES[key];
}

const UUID_PREFIX = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;
const ESC50_NAME = /^\d+-(\d+)-[A-Z]+\.[a-z0-9]+$/i;
const LAUGH_CHUNK = /^(.*)_(\d+)\.[a-z0-9]+$/i;

/**
 * The group of a clip from its file name: Donate-a-Cry app-install uuid (first 36 characters), ESC-50
 * freesound source id (`<fold>-<source>-<take>.wav`), one group per laugh recording (`laugh_<rec>_<n>`),
 * otherwise one group per file.
 */
export function groupFromFileName(relPath: string, label: TrainLabel): string {
  const name = basename(relPath);
  const uuid = UUID_PREFIX.exec(name);
  if (uuid) return `dac:${uuid[1].toLowerCase()}`;
  const esc = ESC50_NAME.exec(name);
  if (esc) return `esc50:${esc[1]}`;
  if (label === "laugh") {
    const chunk = LAUGH_CHUNK.exec(name);
    if (chunk) return `laugh:${chunk[1]}`;
  }
  return `file:${relPath}`;
}

function isAudio(name: string): boolean {
  return AUDIO_EXTENSIONS.includes(extname(name).toLowerCase());
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function audioFilesIn(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(dir, entry.name);
    if (entry.isDirectory() && recursive) out.push(...audioFilesIn(full, true));
    else if (entry.isFile() && isAudio(entry.name)) out.push(full);
  }
  return out;
}

/** Reads `groups.csv` (`path,group`, path relative to the data root) when present. */
function readGroupOverrides(root: string): Map<string, string> {
  const file = join(root, "groups.csv");
  const overrides = new Map<string, string>();
  if (!existsSync(file)) return overrides;
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "" || (i === 0 && /^path\s*,\s*group$/i.test(trimmed))) return;
    const comma = trimmed.lastIndexOf(",");
    if (comma <= 0 || comma === trimmed.length - 1) {
      throw new DatasetError(`Expected \`path,group\` in ${file} line ${i + 1}, got \`${trimmed}\``);
    }
    overrides.set(trimmed.slice(0, comma).trim().replaceAll("\\", "/"), trimmed.slice(comma + 1).trim());
  });
  return overrides;
}

function labelFolder(root: string, dir: string, folder: string, presplit?: SplitName): ClipSource[] {
  const label = normaliseLabel(folder);
  if (!label) {
    throw new DatasetError(
      `Unknown label folder \`${relative(root, join(dir, folder)) || folder}\`: expected one of ${TRAIN_LABELS.join(", ")}`,
    );
  }
  const files = audioFilesIn(join(dir, folder), true);
  if (files.length === 0) {
    throw new DatasetError(
      `Class folder \`${relative(root, join(dir, folder))}\` has no audio files (${AUDIO_EXTENSIONS.join(", ")})`,
    );
  }
  return files.map((path) => {
    const relPath = relative(root, path).replaceAll("\\", "/");
    return { path, relPath, label, group: groupFromFileName(relPath, label), presplit };
  });
}

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

/**
 * Finds the labelled clips under `root`. Layouts: babymon's shared data (donateacry/<reason>, household/<class>
 * → noise, laugh/ → laugh), pre-split `<root>/{train,val,test}/<label>/`, or plain `<root>/<label>/`.
 */
export function discoverDataset(root: string): Dataset {
  if (!isDir(root)) throw new DatasetError(`Expected \`${root}\` to be a data folder, but it does not exist`);
  const dirs = subdirs(root);
  let layout: Dataset["layout"];
  let clips: ClipSource[] = [];
  if (dirs.includes("donateacry")) {
    layout = "babymon-shared";
    for (const reason of subdirs(join(root, "donateacry")))
      clips.push(...labelFolder(root, join(root, "donateacry"), reason));
    if (dirs.includes("household")) {
      const files = audioFilesIn(join(root, "household"), true);
      if (files.length === 0) throw new DatasetError(`Class folder \`household\` has no audio files`);
      clips.push(
        ...files.map((path) => {
          const relPath = relative(root, path).replaceAll("\\", "/");
          return { path, relPath, label: "noise" as const, group: groupFromFileName(relPath, "noise") };
        }),
      );
    }
    if (dirs.includes("laugh")) clips.push(...labelFolder(root, root, "laugh"));
    for (const extra of dirs.filter((d) => !["donateacry", "household", "laugh"].includes(d))) {
      clips.push(...labelFolder(root, root, extra));
    }
  } else if (dirs.some((d) => d === "train" || d === "test")) {
    layout = "presplit";
    for (const split of dirs) {
      if (split !== "train" && split !== "val" && split !== "test") {
        throw new DatasetError(`Unknown split folder \`${split}\` in ${root}: expected train, val, test`);
      }
      for (const folder of subdirs(join(root, split)))
        clips.push(...labelFolder(root, join(root, split), folder, split));
    }
  } else {
    layout = "labelled-folders";
    for (const folder of dirs) clips.push(...labelFolder(root, root, folder));
  }
  if (clips.length === 0) throw new DatasetError(`No labelled audio found under ${root}`);
  const overrides = readGroupOverrides(root);
  if (overrides.size > 0) clips = clips.map((c) => ({ ...c, group: overrides.get(c.relPath) ?? c.group }));
  const cry = clips.filter((c) => isCryLabel(c.label));
  if (cry.length === 0) throw new DatasetError(`No cry clips (${REASONS.join(", ")}) found under ${root}`);
  return { root, layout, clips };
}

export function countByLabel<T extends { label: TrainLabel }>(
  items: readonly T[],
): Record<TrainLabel, number> {
  const counts = Object.fromEntries(TRAIN_LABELS.map((l) => [l, 0])) as Record<TrainLabel, number>;
  for (const item of items) counts[item.label]++;
  return counts;
}
