import type { CandidateSpec } from "../dev/benchmark/candidates.js";
import { pointText } from "../dev/benchmark/report.js";
import type { BenchmarkResult } from "../dev/benchmark/run.js";
import type { HeldOut } from "./held-out.js";

export interface EvidenceCardManifest {
  name: string;
  version: string;
  yamnet: { sourceSha256: string; sourceFile: string };
  combination: { cry: { scale: number; bias: number } };
  thresholds: { episode: number; onsetN: number; onsetStrong: number };
  heldOut: HeldOut;
  training: { command: string; gitCommit: string; date: string; seconds: number; files: unknown[] };
}

/** The model card of an evidence-head export, with the benchmark's tables as they were measured. */
export function evidenceModelCard(m: EvidenceCardManifest, b: BenchmarkResult, spec: CandidateSpec): string {
  const chosen = b.results.find((r) => r.name === spec.name);
  const cries = m.heldOut.clips.filter((c) => c.kind === "cry").length;
  return `# ${m.name}@${m.version}

Trained by \`${m.training.command}\` on ${m.training.date} (commit ${m.training.gitCommit.slice(0, 7)}, ${Math.round(m.training.seconds / 60)} min), on Google's
YAMNet (frozen, from \`${m.yamnet.sourceFile}\`, sha256 \`${m.yamnet.sourceSha256}\`).

## What it is

- **fc/** — the *evidence head*: YAMNet's 1024-d embedding of one **full-band** pass → [embedding ‖ ¼ × YAMNet's own
  521 AudioSet class logits (YAMNet's classifier, frozen and exact, inside the head)] → Dense(${spec.head.hidden}, ReLU) → cry
  logit. It reads what YAMNet learned from two million AudioSet clips (a cat, speech, music, crying) instead of
  replacing it; the daemon needs no band-limited second pass (\`bandLimitHz\` 0).
- Trained on the windows of the benchmark streams below, every window twice: full band and band-limited to 4 kHz
  (${spec.bands.join(" + ")}), so the bandwidth (the 8 kHz Donate-a-Cry clips) tells it nothing; cries without a 16 kHz
  original are band-limited in both copies. Loss weights: crying 0.5, background 0.1, the negative categories 0.4
  shared equally. Adam, ${spec.head.epochs} epochs, L2 ${spec.head.l2}, dropout ${spec.head.dropout}.
- Probability = sigmoid(${m.combination.cry.scale.toFixed(3)} · logit + ${m.combination.cry.bias.toFixed(3)}): Platt scaling fitted on the benchmark's
  out-of-fold logits (every logit from a model that never heard that source).
- **Reasons**: the reason output is a zero layer, so the probabilities are the training labels' frequencies and the
  daemon answers "unsure" (\`thresholds.unsure\` 1): under grouped evaluation the reason labels carried no signal
  (macro-F1 0.18, the same as always answering "hungry"), and nothing here changes that.
- **Operating point** (manifest \`thresholds\`, written by this export): ${pointText({ threshold: m.thresholds.episode, onsetN: m.thresholds.onsetN, onsetStrong: m.thresholds.onsetStrong })} —
  the point finding the most cries with ≤ ${b.options.budgetPerHour} false episode/h over all folds' out-of-fold scores. \`babymon calibrate\`
  raises it for a room.

## Held out of training (for the daemon's tests)

${m.heldOut.sources.map((s) => `\`${s}\``).join(", ")}: ${m.heldOut.clips.length} clips (${cries} cries), listed in
\`manifest.json\` \`heldOut.clips\`. They are in the benchmark too (there every source is held out by its fold).

## Benchmark (leave-source-out, the figure of record)

\`npx tsx scripts/eval-detection.ts\` (also run by \`npm run train-export\`): ${b.options.k} folds over sources (each speaker,
each ESC-50 class, the toddler, the nursery folder, the laugh recording, each Donate-a-Cry family — a clip and its
16 kHz original one recording); one stream per fold (${b.folds.map((f) => `${(f.durationSec / 60).toFixed(0)} min`).join(", ")}) with every clip of the
fold once: cries at ${b.options.stream.snrsDb.join("/")} dB SNR over generated pink noise (${Math.round(b.options.stream.overNegativeShare * 100)} % of them over a negative of the fold),
negatives in stretches, background alone between them. Scored through the daemon's episode logic
(src/detection/episodes.ts, laughter veto on). Candidate heads are trained per fold without that fold.
${chosen ? `The shipped head is "${chosen.name}".` : ""}

${b.markdown}

## Data and licences

../shared/data (Donate-a-Cry, ODbL 1.0 / DbCL 1.0, gveres/donateacry-corpus — attribution required; ESC-50 household
clips, CC BY-NC 3.0, ESC-10 classes CC BY 3.0; baby laughter from one home recording, no stated licence) and
../shared/more-data (Donate-a-Cry 16 kHz originals, same licence; nursery sounds from Tihi321/baby-sounds and a
toddler's voice from jamiely/baby-sounds, no stated audio licence; speech from Debian's asterisk-core-sounds,
CC BY-SA 3.0). Only trained weights are distributed; no audio. ${m.training.files.length} input files, each with its sha256 in
\`manifest.json\` \`training.files\`.

## Limits

- Every cry here comes from Donate-a-Cry phone recordings (221 families); 8 kHz for most. Real nursery microphones,
  distances and rooms are not covered; run \`babymon calibrate\` on a night of the room.
- The streams are synthetic mixes; the background is generated noise, not a real room.
- Few sources per category (4 speakers, one toddler, one nursery folder): the per-category intervals are wide.
`;
}
