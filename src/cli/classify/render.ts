import Table from "cli-table3";
import type { ReasonProbabilities } from "../../events.js";
import type { FileResultOk } from "./types.js";

const fmt = (x: number) => x.toFixed(3);

function formatReasons(r: ReasonProbabilities): string {
  return Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
}

/** The human-readable report of one file. */
export function renderFile(r: FileResultOk, top: number): string {
  const lines: string[] = [];
  const patchWord = r.patches === 1 ? "patch" : "patches";
  lines.push(
    `${r.path} — ${r.format}, ${r.durationSec.toFixed(2)} s, ${r.patches} ${patchWord}${r.padded ? " (padded with silence)" : ""}`,
  );
  const table = new Table({
    head: ["#", `top ${top} classes (mean over ${r.patches} ${patchWord})`, "score"],
    colAligns: ["right", "left", "right"],
    style: { head: [], border: [], compact: true },
  });
  r.top.forEach((c, i) => {
    table.push([i + 1, c.name, fmt(c.score)]);
  });
  lines.push(table.toString());
  lines.push(
    `cry score (YAMNet, max of "Crying, sobbing", "Baby cry, infant cry", "Whimper"): ${fmt(r.cry.yamnet)} mean, ${fmt(r.cry.yamnetPeak)} peak`,
  );
  if (r.cry.heads !== null) {
    lines.push(
      `cry probability (trained heads): ${fmt(r.cry.heads)} mean, ${fmt(r.cry.headsPeak ?? 0)} peak`,
    );
  }
  if (r.reasons) lines.push(`reasons (cry-weighted mean): ${formatReasons(r.reasons)}`);
  if (r.perPatch) {
    const withHeads = r.perPatch.some((p) => p.reasons);
    const pt = new Table({
      head: [
        "patch",
        "time (s)",
        "YAMNet cry",
        ...(withHeads ? ["cry", "top reason"] : []),
        `top ${top} classes`,
      ],
      colAligns: ["right", "left", "right", ...(withHeads ? (["right", "left"] as const) : []), "left"],
      style: { head: [], border: [], compact: true },
    });
    for (const p of r.perPatch) {
      const reason = p.reasons ? Object.entries(p.reasons).sort((a, b) => b[1] - a[1])[0] : undefined;
      pt.push([
        p.index,
        `${p.startSec.toFixed(2)}–${p.endSec.toFixed(2)}`,
        fmt(p.yamnetCry),
        ...(withHeads ? [fmt(p.cry), reason ? `${reason[0]} ${fmt(reason[1])}` : ""] : []),
        p.top.map((c) => `${c.name} ${fmt(c.score)}`).join(", "),
      ]);
    }
    lines.push(pt.toString());
  }
  return lines.join("\n");
}
