// Renders the page's parts from the API's values (README "Web page and API" has their shapes).

const REASON_TEXT = {
  hungry: "hungry",
  belly_pain: "belly pain",
  burping: "needs burping",
  discomfort: "discomfort",
  tired: "tired",
  unsure: "unsure",
};

export const $ = (id) => document.getElementById(id);

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const clockSec = (ms) =>
  new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const pct = (p) => `${Math.round(p * 100)} %`;

function duration(sec) {
  if (sec == null) return "going on";
  if (sec < 60) return `${Math.round(sec)} s`;
  return `${Math.floor(sec / 60)} min ${Math.round(sec % 60)} s`;
}

export function reasonText(reason) {
  return REASON_TEXT[reason] ?? reason;
}

/** The big crying/quiet indicator and the current episode's line. */
export function renderIndicator(status) {
  const box = $("indicator");
  const off = !status.detection.enabled;
  box.className = `indicator ${off ? "off" : status.crying ? "crying" : "quiet"}`;
  box.dataset.crying = String(status.crying);
  $("indicator-text").textContent = off ? "Detection off" : status.crying ? "Crying" : "Quiet";
  const e = status.episode;
  $("episode-line").textContent = e
    ? `since ${clockSec(e.startMs)} · ${e.early ? "reason not known yet" : `${reasonText(e.reason)} (${pct(e.confidence)})`} · peak ${e.peak.toFixed(2)}`
    : status.lastWindow
      ? `level ${status.lastWindow.levelDbfs.toFixed(0)} dBFS · cry ${status.lastWindow.cry.toFixed(2)}`
      : "";
}

/** YAMNet's top 5 classes of the last window, with a bar each. */
export function renderClasses(status) {
  const list = $("classes");
  const classes = status.lastWindow?.topClasses ?? [];
  list.replaceChildren(
    ...classes.map((c) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = c.name;
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = c.score.toFixed(2);
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.round(c.score * 100)}%`;
      li.append(name, score, bar);
      return li;
    }),
  );
  if (classes.length === 0) list.textContent = "—";
}

function row(dl, term, value, cls = "") {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  if (cls) dd.className = cls;
  dl.append(dt, dd);
}

export function renderStatus(status) {
  const dl = $("status");
  dl.replaceChildren();
  row(dl, "Capture", status.capture, status.capture === "online" ? "good" : "bad");
  row(dl, "Inference", `${status.inferenceMsPerWindow.toFixed(0)} ms`);
  row(dl, "Dropped", `${status.droppedWindows} windows`, status.droppedWindows > 0 ? "bad" : "");
  const mqtt = status.mqtt.enabled ? (status.mqtt.connected ? "connected" : "not connected") : "off";
  row(dl, "MQTT", mqtt, status.mqtt.enabled ? (status.mqtt.connected ? "good" : "bad") : "");
  if (status.modelMissing) row(dl, "Model", "missing: no cry detection", "bad");
  if (status.faults.length > 0) row(dl, "Faults", status.faults.join(", "), "bad");
  row(dl, "Up", duration(status.uptimeSec));
}

/** The controls follow the daemon's state (the MQTT switch and number change it too). */
export function renderControls(status) {
  const toggle = $("detection-toggle");
  toggle.setAttribute("aria-pressed", String(status.detection.enabled));
  toggle.textContent = status.detection.enabled ? "Detection on" : "Detection off";
  const slider = $("sensitivity");
  if (document.activeElement !== slider) slider.value = String(status.detection.sensitivity);
  $("sensitivity-value").textContent = Number(slider.value).toFixed(2);
  $("listen").hidden = !status.listen;
}

/** Rows of the episode list; `append` adds older ones below (paging). */
export function renderEpisodes(episodes, append) {
  const body = $("episode-rows");
  if (!append) body.replaceChildren();
  for (const e of episodes) {
    const tr = document.createElement("tr");
    tr.dataset.episode = e.id;
    if (e.status === "open") tr.className = "open";
    const reason = e.status === "open" && e.provisionalReason === null ? "…" : reasonText(e.reason);
    const cells = [
      new Date(e.startMs).toLocaleString([], {
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
      }),
      duration(e.durationSec),
      e.peak.toFixed(2),
      reason,
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tr.children[3].className = "reason";
    // The feedback buttons of the learning issue ("Not a cry", "What was it?") go in this cell once its API exists.
    const feedback = document.createElement("td");
    feedback.className = "feedback";
    tr.append(feedback);
    body.append(tr);
  }
  $("episodes-empty").hidden = body.children.length > 0;
}

export function nightTitle(fromMs, toMs) {
  const day = (ms) =>
    new Date(ms).toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
  return `${day(fromMs)} ${clock(fromMs)} – ${day(toMs)} ${clock(toMs)}`;
}
