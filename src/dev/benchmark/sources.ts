import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { PROJECT_ROOT } from "../../version.js";
import type { BenchClip, NegativeCategory } from "./types.js";

/** ../shared, the read-only data folder beside the project. */
export const SHARED_ROOT = join(PROJECT_ROOT, "..", "shared");

/** ESC-50 classes of ../shared/data/household by negative category; every other class is "household". */
const ESC_CATEGORIES: Record<string, NegativeCategory> = {
  cat: "cat",
  dog: "dog",
  laughing: "laughter",
  rooster: "other animals",
  pig: "other animals",
  cow: "other animals",
  frog: "other animals",
  hen: "other animals",
  insects: "other animals",
  sheep: "other animals",
  crow: "other animals",
  chirping_birds: "other animals",
  crickets: "other animals",
};

export function escCategory(cls: string): NegativeCategory {
  return ESC_CATEGORIES[cls] ?? "household";
}

const UUID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

/** The Donate-a-Cry family (app install) of a cry file name. */
export function cryFamily(fileName: string): string {
  const m = UUID.exec(fileName);
  if (!m) throw new Error(`Expected a Donate-a-Cry file name starting with an install uuid, got ${fileName}`);
  return `family:${m[1].toLowerCase()}`;
}

/** The speaker of a more-data/speech file: the name before `_N`; en_US and es_MX Allison are one person. */
export function speaker(fileName: string): string {
  const stem = basename(fileName).replace(/_\d+\.wav$/i, "");
  return `speaker:${stem.replace(/^(en_US|es_MX)_/, "")}`;
}

/** A nursery file's category: `noise_…` is white noise, lullabies and children's songs are music. */
export function nurseryCategory(fileName: string): NegativeCategory {
  return basename(fileName).startsWith("noise_") ? "white noise" : "music/lullaby";
}

const wavs = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.toLowerCase().endsWith(".wav"))
        .sort()
    : [];
const dirs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

/** The 16 kHz originals of Donate-a-Cry clips, relative to ../shared. */
export const FULL_BAND_CRY_DIR = "more-data/donateacry-16k";

/**
 * Every clip of ../shared/data and ../shared/more-data with its source and category. A Donate-a-Cry clip that has
 * a 16 kHz original in more-data/donateacry-16k is one clip (the twin is recorded as `fullBandTwin`), never two.
 */
export function listBenchClips(shared = SHARED_ROOT): BenchClip[] {
  const clips: BenchClip[] = [];
  const cryDir = join(shared, "data", "donateacry");
  const twinDir = join(shared, "more-data", "donateacry-16k");
  for (const reason of dirs(cryDir)) {
    for (const f of wavs(join(cryDir, reason))) {
      const twin = join(twinDir, reason, f);
      clips.push({
        rel: `data/donateacry/${reason}/${f}`,
        source: cryFamily(f),
        kind: "cry",
        category: null,
        ...(existsSync(twin) ? { fullBandTwin: `${FULL_BAND_CRY_DIR}/${reason}/${f}` } : {}),
      });
    }
  }
  const household = join(shared, "data", "household");
  for (const cls of dirs(household)) {
    for (const f of wavs(join(household, cls)))
      clips.push({
        rel: `data/household/${cls}/${f}`,
        source: `esc50:${cls}`,
        kind: "negative",
        category: escCategory(cls),
      });
  }
  const add = (folder: string, source: (f: string) => string, category: (f: string) => NegativeCategory) => {
    for (const f of wavs(join(shared, folder)))
      clips.push({ rel: `${folder}/${f}`, source: source(f), kind: "negative", category: category(f) });
  };
  add(
    "data/laugh",
    () => "laugh-recording",
    () => "laughter",
  );
  add("more-data/speech", speaker, () => "speech");
  add(
    "more-data/toddler",
    () => "toddler",
    () => "toddler",
  );
  add("more-data/nursery", () => "nursery", nurseryCategory);
  if (clips.length === 0) throw new Error(`no audio found under ${shared}/data and ${shared}/more-data`);
  return clips;
}
