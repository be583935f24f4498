import { writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";

/** Renders a Vega-Lite spec to PNG (vega → SVG, resvg → PNG). */
export async function renderPng(spec: Record<string, unknown>, file: string): Promise<void> {
  const compiled = vl.compile({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    ...spec,
  } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 1.5 },
    font: { loadSystemFonts: true },
    background: "white",
  })
    .render()
    .asPng();
  writeFileSync(file, png);
}

export function confusionSpec(
  title: string,
  labels: readonly string[],
  predLabels: readonly string[],
  matrix: number[][],
) {
  const values: Array<Record<string, unknown>> = [];
  matrix.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      values.push({
        truth: labels[t],
        predicted: predLabels[p],
        count,
        rate: total ? count / total : 0,
        text: `${count} (${total ? Math.round((100 * count) / total) : 0} %)`,
      });
    });
  });
  const base = {
    encoding: {
      x: { field: "predicted", type: "nominal", sort: predLabels, title: "predicted" },
      y: { field: "truth", type: "nominal", sort: labels, title: "true label" },
    },
  };
  return {
    title,
    data: { values },
    width: 60 * predLabels.length,
    height: 40 * labels.length,
    ...base,
    layer: [
      {
        mark: "rect",
        encoding: {
          color: {
            field: "rate",
            type: "quantitative",
            title: "row share",
            scale: { scheme: "blues", domain: [0, 1] },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "text" },
          color: { condition: { test: "datum.rate > 0.5", value: "white" }, value: "black" },
        },
      },
    ],
  };
}

export function linesSpec(
  title: string,
  values: Array<Record<string, unknown>>,
  x: string,
  y: string,
  series: string,
  opts: {
    xTitle?: string;
    yTitle?: string;
    width?: number;
    height?: number;
    column?: string;
    diagonal?: boolean;
  } = {},
) {
  const line = {
    mark: { type: "line", point: values.length < 200 },
    encoding: {
      x: { field: x, type: "quantitative", title: opts.xTitle ?? x },
      y: { field: y, type: "quantitative", title: opts.yTitle ?? y },
      color: {
        field: series,
        type: "nominal",
        legend: { labelLimit: 400, title: null, orient: "bottom", direction: "vertical" },
      },
    },
  };
  const layers: unknown[] = [line];
  if (opts.diagonal) {
    layers.unshift({
      data: {
        values: [
          { [x]: 0, [y]: 0 },
          { [x]: 1, [y]: 1 },
        ],
      },
      mark: { type: "line", strokeDash: [4, 4], color: "gray" },
      encoding: { x: { field: x, type: "quantitative" }, y: { field: y, type: "quantitative" } },
    });
  }
  if (opts.column) {
    return {
      title,
      data: { values },
      facet: { column: { field: opts.column, type: "nominal", title: null } },
      spec: { width: opts.width ?? 320, height: opts.height ?? 240, layer: layers },
      resolve: { scale: { y: "independent" } },
    };
  }
  return { title, data: { values }, width: opts.width ?? 360, height: opts.height ?? 280, layer: layers };
}
