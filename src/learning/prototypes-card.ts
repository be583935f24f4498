import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PrototypesFile } from "./prototypes.js";

/**
 * The model card of the shipped cry prototypes (models/learning/model-card.md), written next to them by
 * `scripts/sim-feedback.ts --write-prototypes`: what they are, what they were built from, and the data's licences.
 */
export function prototypesCard(file: PrototypesFile): string {
  return `# babymon cry prototypes (models/learning/cry-prototypes.json)

${file.prototypes.length} unit vectors in YAMNet's ${file.dim}-dimensional embedding space, int8-quantized with one scale
each. They are the positives of the "not a cry" veto ("Learning from the parents" in the README,
src/learning/veto.ts): a window is vetoed only when it is close to a window the parents marked and closer to it than
to every cry prototype by a margin, so a mark cannot silence sounds that resemble crying more than the marked sound.
Their mean is also the centre removed from every embedding before the veto compares them.

**Built from:** ${file.source}.
No audio and no embedding of a single clip is shipped: each prototype is the centre of a k-means cluster of many windows.

## Data and licences

| data | use | licence |
|---|---|---|
| Donate-a-Cry corpus (cleaned; gveres/donateacry-corpus), 8 kHz cries | the crying windows the prototypes are centres of | ODbL 1.0 / DbCL 1.0 — contains information from the Donate-a-Cry corpus, made available under the Open Database License |
| ESC-50 household clips (K. J. Piczak) | the quiet household background the cries were placed over | CC BY-NC 3.0 (ESC-10 classes CC BY 3.0); per-clip attribution in the data's ATTRIBUTION.csv — non-commercial |

## Limits

The veto's figures (README, "Learning from the parents", \`npx tsx scripts/sim-feedback.ts\`) are from a simulation
on the same corpus; the prototypes come from Donate-a-Cry's phone recordings, not from the baby the monitor hears.
`;
}

export function writePrototypesCard(file: PrototypesFile, dir: string): string {
  const path = join(dir, "model-card.md");
  writeFileSync(path, prototypesCard(file));
  return path;
}
