import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { foldIndices, groupedHoldout, groupedStratifiedFolds } from "../../src/train/split.js";

const itemsArb = fc.array(
  fc.record({
    group: fc.integer({ min: 0, max: 40 }).map((g) => `g${g}`),
    label: fc.constantFrom("a", "b", "c", "d"),
  }),
  { minLength: 1, maxLength: 200 },
);

test("grouped k-fold: every item gets a fold and no group is in two folds", () => {
  fc.assert(
    fc.property(itemsArb, fc.integer({ min: 2, max: 6 }), fc.integer(), (items, k, seed) => {
      const folds = groupedStratifiedFolds(items, k, seed);
      assert.equal(folds.length, items.length);
      const foldOfGroup = new Map<string, number>();
      items.forEach((item, i) => {
        assert.ok(folds[i] >= 0 && folds[i] < k, `fold ${folds[i]} out of range`);
        const seen = foldOfGroup.get(item.group);
        if (seen !== undefined) assert.equal(folds[i], seen, `group ${item.group} split across folds`);
        foldOfGroup.set(item.group, folds[i]);
      });
      for (let f = 0; f < k; f++) {
        const { train, heldOut } = foldIndices(folds, f);
        const trainGroups = new Set(train.map((i) => items[i].group));
        for (const i of heldOut) assert.ok(!trainGroups.has(items[i].group), "group on both sides");
        assert.equal(train.length + heldOut.length, items.length);
      }
    }),
    { numRuns: 200 },
  );
});

test("grouped hold-out: train and held-out share no group", () => {
  fc.assert(
    fc.property(
      itemsArb,
      fc.double({ min: 0.1, max: 0.5, noNaN: true }),
      fc.integer(),
      (items, fraction, seed) => {
        const { train, heldOut } = groupedHoldout(items, fraction, seed);
        assert.equal(train.length + heldOut.length, items.length);
        const trainGroups = new Set(train.map((i) => items[i].group));
        for (const i of heldOut) assert.ok(!trainGroups.has(items[i].group));
      },
    ),
    { numRuns: 200 },
  );
});

test("grouped k-fold stratifies: each label with enough groups reaches every fold", () => {
  const items = Array.from({ length: 300 }, (_, i) => ({
    group: `g${i % 100}`,
    label: i % 100 < 10 ? "rare" : "common",
  }));
  const folds = groupedStratifiedFolds(items, 5, 7);
  for (let f = 0; f < 5; f++) {
    const rare = items.filter((it, i) => folds[i] === f && it.label === "rare").length;
    assert.ok(rare >= 3 && rare <= 9, `fold ${f} has ${rare} rare items (30 in total)`);
  }
});

test("grouped k-fold rejects k < 2", () => {
  assert.throws(
    () => groupedStratifiedFolds([{ group: "a", label: "x" }], 1, 0),
    /Expected `k` to be an integer ≥ 2, got 1/,
  );
});
