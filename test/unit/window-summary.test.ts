import assert from "node:assert/strict";
import { test } from "node:test";
import { WindowSummary } from "../../src/sinks/sqlite/window-summary.js";

const w = (i: number, levelDbfs: number, cry: number, gated = false) => ({
  type: "window" as const,
  at: 1000 + i * 480,
  timeSec: i * 0.48,
  levelDbfs,
  cry,
  yamnetCry: 0,
  gated,
});

test("window log rows: one per `every` windows, first time, loudest level, highest cry, gated only if all were", () => {
  const s = new WindowSummary();
  const rows = [
    w(0, -60, 0.01, true),
    w(1, -30, 0.97),
    w(2, -50, 0.2, true),
    w(3, -70, 0, true),
    w(4, -65, 0, true),
    w(5, -80, 0, true),
    w(6, -40, 0.5),
  ].map((x) => s.add(x, 3));
  assert.deepEqual(rows, [
    null,
    null,
    { atMs: 1000, timeSec: 0, levelDbfs: -30, cry: 0.97, gated: false },
    null,
    null,
    { atMs: 1000 + 3 * 480, timeSec: 3 * 0.48, levelDbfs: -65, cry: 0, gated: true },
    null,
  ]);
  assert.deepEqual(new WindowSummary().add(w(0, -20, 0.3), 1), {
    atMs: 1000,
    timeSec: 0,
    levelDbfs: -20,
    cry: 0.3,
    gated: false,
  });
});
