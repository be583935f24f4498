import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { selectBackend } from "../../src/inference/backend.js";
import { ensembleDirs, type HeadsManifest, loadHeads } from "../../src/inference/heads.js";
import { saveQuantizedModel } from "../../src/train/export.js";
import type { HeadKind } from "../../src/train/models.js";
import { buildHead, DEFAULT_TRAIN_OPTIONS } from "../../src/train/trainer.js";
import { PROJECT_ROOT } from "../../src/version.js";

const MAP_SHAPE: [number, number, number] = [6, 4, 512];
const SHIPPED = JSON.parse(
  readFileSync(join(PROJECT_ROOT, "models/babymon-heads/manifest.json"), "utf8"),
) as HeadsManifest;
/** the frame of FC + MobileNetV3 heads (the shipped evidence head has no MobileNetV3 members since issue 14) */
const MNV3_FRAME = {
  featureLayer: 23,
  featureShape: MAP_SHAPE,
  bandLimitHz: 4000,
  combination: {
    cry: { fcWeight: 0.2, scale: 2.4, bias: 1.1 },
    reason: { fcWeight: 0, temperature: 1000, bias: [1.6, -1.9, -2.2, -0.9, -1.2] },
  },
};
let dir: string;

/** Heads folder with `members` untrained FC and MobileNetV3 heads of distinct seeds, and the shipped manifest's frame. */
async function writeHeads(sub: string, members: number, heads: unknown): Promise<string> {
  const out = join(dir, sub);
  for (const kind of ["fc", "mnv3"] as HeadKind[]) {
    for (const [m, d] of ensembleDirs(kind, members).entries()) {
      const model = buildHead({ ...DEFAULT_TRAIN_OPTIONS, kind, seed: 10 + m, mapShape: MAP_SHAPE });
      await saveQuantizedModel(model, join(out, d));
      model.dispose();
    }
  }
  writeFileSync(join(out, "manifest.json"), JSON.stringify({ ...SHIPPED, ...MNV3_FRAME, heads }));
  return out;
}

function outputs(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    scores: new Float32Array(521),
    embedding: Float32Array.from({ length: 1024 }, (_, k) => Math.sin(i + k * 0.01)),
    featureMaps: {
      23: {
        shape: MAP_SHAPE,
        data: Float32Array.from({ length: 6 * 4 * 512 }, (_, k) => Math.cos(i * 3 + k * 0.001)),
      },
    },
  }));
}

before(async () => {
  await selectBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "babymon-heads-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("ensembleDirs names the members fc, fc-2, …", () => {
  assert.deepEqual(ensembleDirs("fc", 1), ["fc"]);
  assert.deepEqual(ensembleDirs("mnv3", 3), ["mnv3", "mnv3-2", "mnv3-3"]);
});

test("an ensemble's logits are the mean of its members' logits; a one-folder manifest still loads", async () => {
  const sha = SHIPPED.yamnet.sourceSha256;
  const ens = await loadHeads(
    await writeHeads("ens", 2, { fc: ["fc", "fc-2"], mnv3: ["mnv3", "mnv3-2"] }),
    sha,
  );
  const first = await loadHeads(await writeHeads("first", 1, { fc: "fc", mnv3: "mnv3" }), sha);
  const second = await loadHeads(await writeHeads("second", 2, { fc: ["fc-2"], mnv3: ["mnv3-2"] }), sha);
  const o = outputs(3);
  const [le, l1, l2] = [ens.logits(o), first.logits(o), second.logits(o)];
  for (const key of ["fcCry", "fcReason", "mnCry", "mnReason"] as const) {
    le[key].forEach((v, i) => {
      assert.ok(Math.abs(v - (l1[key][i] + l2[key][i]) / 2) < 1e-5, `${key}[${i}]: ${v}`);
    });
    assert.ok(
      l1[key].some((v, i) => Math.abs(v - l2[key][i]) > 1e-3),
      `${key}: the members should differ`,
    );
  }
  for (const h of [ens, first, second]) h.dispose();
});

test("a manifest with an empty member list is refused with the key named", async () => {
  const out = await writeHeads("empty", 1, { fc: [], mnv3: "mnv3" });
  await assert.rejects(loadHeads(out, SHIPPED.yamnet.sourceSha256), /`heads\.fc`/);
});

test("the manifest's operating point is validated on load: out-of-range values are dropped, the heads still load", async () => {
  const out = await writeHeads("op", 1, { fc: "fc", mnv3: "mnv3" });
  const manifestFile = join(out, "manifest.json");
  const m = JSON.parse(readFileSync(manifestFile, "utf8"));
  m.thresholds = { ...m.thresholds, episode: 1.5, onsetN: 3.5, onsetStrong: 0.999, yamnetSupport: -1 };
  writeFileSync(manifestFile, JSON.stringify(m));
  const heads = await loadHeads(out, SHIPPED.yamnet.sourceSha256);
  const { episode, onsetN, onsetStrong, yamnetSupport, unsure } = heads.thresholds;
  assert.deepEqual(
    { episode, onsetN, onsetStrong, yamnetSupport, unsure },
    {
      episode: undefined,
      onsetN: undefined,
      onsetStrong: 0.999,
      yamnetSupport: undefined,
      unsure: SHIPPED.thresholds.unsure,
    },
  );
  heads.dispose();
});
