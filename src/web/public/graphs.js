// The page's two graphs, drawn with uPlot: the live 5 minutes and a night's timeline with its episodes.
import uPlot from "/vendor/uPlot.esm.js";

const AXIS = { stroke: "#8b98a8", grid: { stroke: "#263040", width: 1 }, ticks: { stroke: "#263040" } };
const LEVEL = "#6aa9ff";
const CRY = "#ffb347";
const EPISODE_FILL = "rgba(217, 68, 58, 0.35)";

function clockLabel(sec) {
  const d = new Date(sec * 1000);
  const opts = { hour: "2-digit", minute: "2-digit" };
  return d.toLocaleTimeString([], d.getSeconds() === 0 ? opts : { ...opts, second: "2-digit" });
}

function sizeOf(el, height) {
  return { width: Math.max(280, el.clientWidth), height };
}

function options(el, height, extra = {}) {
  return {
    ...sizeOf(el, height),
    cursor: { drag: { x: false, y: false } },
    // values only while a finger or the mouse is on the graph: a legend of dashes helps nobody
    legend: { live: false },
    scales: { x: { time: true }, db: { range: [-100, 0] }, p: { range: [0, 1] } },
    series: [
      {},
      {
        label: "level (dBFS)",
        scale: "db",
        stroke: LEVEL,
        width: 2,
        value: (_u, v) => (v == null ? "–" : v.toFixed(0)),
      },
      {
        label: "cry probability",
        scale: "p",
        stroke: CRY,
        width: 2,
        fill: "rgba(255, 179, 71, 0.12)",
        value: (_u, v) => (v == null ? "–" : v.toFixed(2)),
      },
    ],
    axes: [
      // clock times only (uPlot's default adds the date to the first label, which then runs into the next)
      { ...AXIS, space: 90, values: (_u, splits) => splits.map(clockLabel) },
      { ...AXIS, scale: "db", label: "dBFS", labelSize: 20, size: 50 },
      { ...AXIS, scale: "p", side: 1, label: "cry", labelSize: 20, size: 45, grid: { show: false } },
    ],
    ...extra,
  };
}

function keepSized(plot, el, height) {
  new ResizeObserver(() => plot.setSize(sizeOf(el, height))).observe(el);
}

/** The live graph: points are {atMs, levelDbfs, cry}; `add` appends one and keeps the last `spanMs`. */
export function liveGraph(el, spanMs) {
  const data = [[], [], []];
  // the x axis always spans the last `spanMs`, however few points there are yet
  const span = (_u, _min, max) => [(max ?? Date.now() / 1000) - spanMs / 1000, max ?? Date.now() / 1000];
  const scales = { x: { time: true, range: span }, db: { range: [-100, 0] }, p: { range: [0, 1] } };
  const plot = new uPlot(options(el, 260, { scales }), data, el);
  keepSized(plot, el, 260);
  const push = (p) => {
    data[0].push(p.atMs / 1000);
    data[1].push(Number.isFinite(p.levelDbfs) ? Math.max(-100, p.levelDbfs) : -100);
    data[2].push(p.cry);
  };
  const trim = () => {
    const oldest = data[0].at(-1) - spanMs / 1000;
    let n = 0;
    while (n < data[0].length && data[0][n] < oldest) n++;
    if (n > 0) for (const a of data) a.splice(0, n);
  };
  return {
    reset(points) {
      for (const a of data) a.length = 0;
      for (const p of points) push(p);
      trim();
      plot.setData(data);
    },
    add(p) {
      push(p);
      trim();
      plot.setData(data);
    },
    get count() {
      return data[0].length;
    },
  };
}

/** A night's timeline: level and cry probability from the window log, the episodes as red bands. */
export function nightGraph(el) {
  let episodes = [];
  const drawEpisodes = (u) => {
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.fillStyle = EPISODE_FILL;
    for (const e of episodes) {
      const x0 = u.valToPos(e.startMs / 1000, "x", true);
      const x1 = u.valToPos((e.endMs ?? Date.now()) / 1000, "x", true);
      ctx.fillRect(x0, top, Math.max(3, x1 - x0), height);
    }
    ctx.restore();
  };
  let range = [Date.now() / 1000 - 12 * 3600, Date.now() / 1000];
  const scales = { x: { time: true, range: () => range }, db: { range: [-100, 0] }, p: { range: [0, 1] } };
  const plot = new uPlot(options(el, 380, { scales, hooks: { draw: [drawEpisodes] } }), [[], [], []], el);
  keepSized(plot, el, 380);
  return {
    show(night) {
      episodes = night.episodes;
      // the x range is the whole night, even where nothing was logged
      range = [night.fromMs / 1000, night.toMs / 1000];
      const xs = night.points.map((p) => p.atMs / 1000);
      plot.setData([
        xs,
        night.points.map((p) => Math.max(-100, p.levelDbfs)),
        night.points.map((p) => p.cry),
      ]);
      plot.redraw();
    },
  };
}
