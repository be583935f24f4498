import type { NightTimeline } from "./types.js";

/**
 * The night as one Vega-Lite picture (`babymon report`): the cry probability and the level from the window log,
 * each episode a red band with its reason. Rendered to PNG by src/train/plots.ts renderPng (vega → SVG → resvg).
 */
export function nightSpec(night: NightTimeline): Record<string, unknown> {
  const day = (ms: number) =>
    new Date(ms).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  const n = night.episodes.length;
  const subtitle = night.windowLog
    ? `${n} episode${n === 1 ? "" : "s"} (red bands)`
    : `${n} episode${n === 1 ? "" : "s"}; no level or cry probability: the window log is off (storage.windowLog.enabled)`;
  const x = { field: "atMs", type: "temporal", title: null, axis: { format: "%H:%M", labelFontSize: 12 } };
  const episodes = night.episodes.map((e) => ({
    startMs: e.startMs,
    endMs: Math.max(e.endMs ?? night.toMs, e.startMs + 30_000),
    reason: e.reason,
  }));
  const layers: unknown[] = [
    // two invisible points at the night's ends: the x axis spans the whole night, logged or not
    {
      data: { values: [{ atMs: night.fromMs }, { atMs: night.toMs }] },
      mark: { type: "point", opacity: 0 },
      encoding: { x },
    },
    {
      data: { values: episodes },
      mark: { type: "rect", color: "#d9443a", opacity: 0.35 },
      encoding: { x: { ...x, field: "startMs" }, x2: { field: "endMs" } },
    },
    {
      data: { values: episodes },
      mark: {
        type: "text",
        align: "left",
        baseline: "top",
        dx: 3,
        fontSize: 12,
        color: "#9b1c13",
      },
      encoding: { x: { ...x, field: "startMs" }, y: { value: 4 }, text: { field: "reason" } },
    },
  ];
  // below −100 dBFS (digital silence is −120) is drawn at the floor
  const points = night.points.map((p) => ({ ...p, levelDbfs: Math.max(-100, p.levelDbfs) }));
  if (points.length > 0) {
    layers.push(
      {
        data: { values: points },
        mark: { type: "line", color: "#2f6fd6", strokeWidth: 1 },
        encoding: {
          x,
          y: {
            field: "levelDbfs",
            type: "quantitative",
            title: "level (dBFS)",
            scale: { domain: [-100, 0] },
          },
        },
      },
      {
        data: { values: points },
        mark: { type: "area", color: "#f08c00", opacity: 0.6, line: { color: "#d97700" } },
        encoding: {
          x,
          y: {
            field: "cry",
            type: "quantitative",
            title: "cry probability",
            scale: { domain: [0, 1] },
            axis: { orient: "right" },
          },
        },
      },
    );
  }
  return {
    title: { text: `babymon: ${day(night.fromMs)} – ${day(night.toMs)}`, subtitle, fontSize: 16 },
    width: 900,
    height: 260,
    layer: layers,
    resolve: { scale: { y: "independent" } },
    config: { font: "DejaVu Sans, sans-serif" },
  };
}
