import { z } from "zod";
import { REASONS, type Reason } from "../events.js";
import { HeadsModelError } from "./heads-error.js";
import { readManifestJson } from "./manifest-file.js";

/**
 * The `detector` block of a heads manifest (models/babymon-heads/manifest.json, written by `npm run train-export`
 * from the leave-source-out benchmark): which cry score the daemon uses, its Platt calibration, the operating
 * point chosen on the benchmark, for `sequence` the temporal model over the last windows' YAMNet logits, for `classes`
 * the weights of YAMNet's class logits, and, when the heads' reasons are the same for every sound, those reasons.
 * Without the block the trained heads detect, as before.
 */

const pointSchema = z
  .object({
    threshold: z.number().gt(0).lt(1),
    onsetN: z.number().int().min(1).max(20),
    onsetStrong: z.number().gt(0).max(1),
  })
  .passthrough();

const sequenceSchema = z
  .object({
    /** folder of the TF.js layers model, relative to the heads folder */
    dir: z.string().min(1),
    /** how many windows (oldest first) the model reads */
    windows: z.number().int().min(1).max(64),
    features: z.literal("yamnet-logits"),
  })
  .passthrough();

/**
 * A linear combination of YAMNet's class logits (`source: "classes"`): z = Σ weights[i] · logit[indices[i]] + bias,
 * the logits before YAMNet's sigmoid.
 */
const classesSchema = z
  .object({
    indices: z.array(z.number().int().min(0).max(520)).min(1),
    weights: z.array(z.number()).min(1),
    bias: z.number(),
  })
  .passthrough()
  .refine((c) => c.weights.length === c.indices.length, {
    message: "must have one weight per index",
    path: ["weights"],
  });

const probability = z.number().min(0).max(1);

/** The heads' reasons when they are the same for every window (measured by train-export, constant-reasons.ts). */
const reasonsSchema = z
  .object({
    /** the heads measured (`name@version`): the block applies only beside those heads */
    headsVersion: z.string().min(1),
    probabilities: z.object(
      Object.fromEntries(REASONS.map((r) => [r, probability])) as Record<Reason, typeof probability>,
    ),
    maxDeviation: z.number().min(0),
    windows: z.number().int().min(1),
  })
  .passthrough();

export const detectorSchema = z
  .object({
    source: z.enum(["yamnet", "sequence", "classes"]),
    /** p = sigmoid(a · z + b), z = logit of the raw score (yamnet), the model's logit (sequence), or classesLogit */
    calibration: z.object({ a: z.number(), b: z.number() }).passthrough(),
    point: pointSchema,
    sequence: sequenceSchema.optional(),
    classes: classesSchema.optional(),
    benchmark: z.record(z.string(), z.unknown()).optional(),
    /** clips (relative to ../shared) of sources the detector never trained on, per kind */
    heldOut: z.record(z.string(), z.array(z.string())).optional(),
    reasons: reasonsSchema.optional(),
  })
  .passthrough()
  .refine((d) => d.source !== "sequence" || d.sequence !== undefined, {
    message: 'is required with `source: "sequence"`',
    path: ["sequence"],
  })
  .refine((d) => d.source !== "classes" || d.classes !== undefined, {
    message: 'is required with `source: "classes"`',
    path: ["classes"],
  });
export type Detector = z.infer<typeof detectorSchema>;
export type DetectorPoint = Detector["point"];

/** The manifest's `detector` block, or null when it has none; throws HeadsModelError naming the field. */
export function readDetector(headsDir: string): Detector | null {
  const raw = readManifestJson(headsDir);
  const block = (raw as { detector?: unknown } | null)?.detector;
  if (block === undefined) return null;
  const parsed = detectorSchema.safeParse(block);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ["detector", ...(issue?.path ?? [])].join(".");
    throw new HeadsModelError(headsDir, `manifest.json: \`${path}\` ${issue?.message}`);
  }
  return parsed.data;
}

/** Clamped logit: a saturated float32 score gives ±13.8, never an infinite logit. */
export function logit(p: number): number {
  const s = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(s / (1 - s));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The `classes` detector's raw logit for one window's 521 class logits. */
export function classesLogit(logits: Float32Array, c: NonNullable<Detector["classes"]>): number {
  let z = c.bias;
  for (let i = 0; i < c.indices.length; i++) z += c.weights[i] * logits[c.indices[i]];
  return z;
}

/** The detector's calibrated cry probability for a raw logit `z`. */
export function calibrate(z: number, c: Detector["calibration"]): number {
  return sigmoid(c.a * z + c.b);
}
