import { readFileSync } from "node:fs";
import { readAudioFile16k } from "../../audio/decode.js";
import { REASONS } from "../../events.js";
import { sha256Hex } from "../../util/sha256.js";
import {
  type ClipSource,
  countByLabel,
  DatasetError,
  discoverDataset,
  isCryLabel,
  TRAIN_LABELS,
} from "../dataset.js";
import { mulberry32, shuffleInPlace } from "../random.js";
import { generateSilence, silenceSpecs } from "../silence.js";
import type { RunClip, SkippedFile, TrainExportOptions } from "../types.js";

/** The clips of a run, and the files that could not be read. */
export interface RunData {
  clips: RunClip[];
  /** files left out so far (unreadable); later stages add the ones that fail to decode */
  skipped: SkippedFile[];
}

/**
 * Stage 1, data: the labelled files of `o.data` (a small fixed subset with `smoke`), each with its sha256, and
 * `o.silenceClips` generated room-tone clips.
 */
export function collectClips(
  o: Pick<TrainExportOptions, "data" | "smoke" | "seed" | "silenceClips" | "log">,
): RunData {
  const dataset = discoverDataset(o.data);
  const sources = o.smoke ? smokeSubset(dataset.clips, o.seed) : dataset.clips;
  const skipped: SkippedFile[] = [];
  const clips: RunClip[] = [];
  for (const s of sources) {
    let sha: string;
    try {
      sha = sha256Hex(readFileSync(s.path));
    } catch (err) {
      skipped.push({ file: s.relPath, error: (err as Error).message });
      continue;
    }
    clips.push({
      id: clips.length,
      relPath: s.relPath,
      path: s.path,
      label: s.label,
      group: s.group,
      reason: (REASONS as readonly string[]).indexOf(s.label),
      isCry: isCryLabel(s.label),
      sha256: sha,
      silence: null,
      presplit: s.presplit,
    });
  }
  for (const spec of silenceSpecs(o.silenceClips, o.seed)) {
    clips.push({
      id: clips.length,
      relPath: `generated/silence_${spec.index}_${spec.levelDbfs}dBFS`,
      path: null,
      label: "silence",
      group: `silence:${spec.index}`,
      reason: -1,
      isCry: false,
      sha256: sha256Hex(JSON.stringify(spec)),
      silence: spec,
    });
  }
  o.log(
    `Data: ${dataset.layout} layout, ${clips.length} clips (${JSON.stringify(countByLabel(clips))}), ${groupCount(clips)} groups`,
  );
  return { clips, skipped };
}

export function groupCount(clips: readonly RunClip[]): number {
  return new Set(clips.map((c) => c.group)).size;
}

/** A clip's 16 kHz audio: the decoded file, or the generated silence. */
export async function clipAudio16k(c: RunClip): Promise<Float32Array> {
  const samples = c.silence ? generateSilence(c.silence) : (await readAudioFile16k(c.path!)).samples;
  if (samples.length === 0) throw new Error(`${c.relPath}: no audio samples`);
  return samples;
}

/** Throws unless every label with files, and both cry and non-cry, keep at least one clip with features. */
export function checkClasses(clips: RunClip[], usable: Set<number>, root: string): void {
  const dead = TRAIN_LABELS.filter(
    (label) =>
      clips.some((c) => c.label === label) && !clips.some((c) => c.label === label && usable.has(c.id)),
  );
  if (dead.length) {
    throw new DatasetError(
      `Expected usable clips for ${dead.join(", ")} in ${root}, but every one of their files failed to load`,
    );
  }
  if (!clips.some((c) => c.isCry && usable.has(c.id)))
    throw new DatasetError(`Expected usable cry clips in ${root}`);
  if (!clips.some((c) => !c.isCry && usable.has(c.id)))
    throw new DatasetError(`Expected usable non-cry clips in ${root}`);
}

/** A tiny, fixed subset for `--smoke`: a few groups per label. */
function smokeSubset(clips: ClipSource[], seed: number): ClipSource[] {
  const rand = mulberry32(seed);
  const out: ClipSource[] = [];
  for (const label of TRAIN_LABELS) {
    const byGroup = new Map<string, ClipSource[]>();
    for (const c of clips.filter((c) => c.label === label)) {
      const list = byGroup.get(c.group) ?? [];
      list.push(c);
      byGroup.set(c.group, list);
    }
    const groups = shuffleInPlace([...byGroup.keys()].sort(), rand);
    const take = label === "hungry" || label === "noise" ? 6 : 3;
    for (const g of groups.slice(0, take)) out.push(...byGroup.get(g)!.slice(0, label === "laugh" ? 6 : 2));
  }
  return out;
}
