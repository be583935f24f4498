import * as tfl from "@tensorflow/tfjs-layers";
import { withOutputs } from "../models.js";
import { LayerKit, patchInput, scaleChannels } from "./blocks.js";
import type { ArchBuildOptions } from "./types.js";

/** Filters of the three conv blocks, and the units of the dense head (the study's Base CNN). */
const FILTERS = [32, 64, 128];
const HEAD_UNITS = 256;

/**
 * The study's 3-layer Base CNN: 3 × [conv 3×3 → batch norm → ReLU → max-pool 2], flatten, dropout,
 * Dense 256 → batch norm → ReLU, dropout, outputs. The study fed it 128×128 images; on the 96×64 patch the
 * flattened map is 12×8×128. The head's batch norm matters: without it, Adam's first steps at lr 1e-3 on the
 * 12 288 non-negative inputs of the dense layer move its output coherently and the loss jumps (2.96 → 17.8
 * on a fixed batch of 8 after 3 steps, against 2.98 → 0.03 after 6 with it). No repeated blocks, so `depth`
 * does not change it.
 */
export function buildBaseCnn(o: ArchBuildOptions): tfl.LayersModel {
  const kit = new LayerKit(o.seed);
  const input = patchInput(o.inputShape);
  let x = input;
  FILTERS.forEach((filters, i) => {
    const name = `block${i + 1}`;
    x = kit.convBnAct(x, { filters: scaleChannels(filters, o.width), kernel: 3 }, "relu", name);
    x = kit.maxPool(x, 2, 2, `${name}_pool`);
  });
  x = tfl.layers.flatten({ name: "flatten" }).apply(x) as tfl.SymbolicTensor;
  x = kit.dropout(x, o.dropout, "flatten_dropout");
  x = kit.dense(x, scaleChannels(HEAD_UNITS, o.width), "head_dense", "linear", false);
  x = kit.act(kit.bn(x, "head_bn"), "relu", "head_relu");
  x = kit.dropout(x, o.dropout, "head_dropout");
  return withOutputs(input, x, kit.seed(), "base-cnn");
}
