// Renders the page's parts from the API's values (README "Web page and API" has their shapes).

const REASON_TEXT = {
  hungry: "hungry",
  belly_pain: "belly pain",
  burping: "needs burping",
  discomfort: "discomfort",
  tired: "tired",
  unsure: "unsure",
};

/** The parents' labels (src/learning/labels.ts; the API lists which are offered), as the page says them. */
const LABEL_TEXT = {
  ...REASON_TEXT,
  not_cry: "not a cry",
  cry_unknown_reason: "a cry, reason unknown",
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

export function labelText(label) {
  return LABEL_TEXT[label] ?? label.replaceAll("_", " ");
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

/**
 * Rows of the episode list; `append` adds older ones below (paging). `feedback` is the API's `{ labels, off }`:
 * with labels, each row gets "Not a cry" and "What was it?", which call `give(episodeId, label)`.
 */
export function renderEpisodes(episodes, append, feedback, give) {
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
    feedbackCell(tr, e, feedback, give);
    body.append(tr);
  }
  $("episodes-empty").hidden = body.children.length > 0;
}

/** The row's last cell: what the parents said of the episode (also `data-feedback` of the row), the controls. */
function feedbackCell(tr, e, feedback, give) {
  const td = document.createElement("td");
  td.className = "feedback";
  tr.append(td);
  const said = document.createElement("div");
  said.className = "said";
  const error = document.createElement("div");
  error.className = "feedback-error";
  error.setAttribute("role", "alert");
  const show = (label) => {
    tr.dataset.feedback = label ?? "";
    said.textContent = label ? `You said: ${labelText(label)}` : "";
    notCry.setAttribute("aria-pressed", String(label === "not_cry"));
    select.value = label ?? "";
  };
  const notCry = document.createElement("button");
  notCry.type = "button";
  notCry.className = "not-cry";
  notCry.textContent = "Not a cry";
  const select = document.createElement("select");
  select.className = "what";
  select.setAttribute("aria-label", "What was it?");
  const prompt = new Option("What was it?", "");
  prompt.disabled = true;
  select.append(prompt, ...feedback.labels.map((l) => new Option(labelText(l), l)));
  const send = async (label) => {
    error.textContent = "";
    notCry.disabled = select.disabled = true;
    try {
      show((await give(e.id, label)).label);
    } catch (err) {
      error.textContent = err.message;
      show(tr.dataset.feedback || null);
    } finally {
      notCry.disabled = select.disabled = false;
    }
  };
  notCry.addEventListener("click", () => void send("not_cry"));
  select.addEventListener("change", () => void send(select.value));
  if (feedback.labels.length > 0) {
    const controls = document.createElement("div");
    controls.className = "feedback-controls";
    controls.append(notCry, select);
    td.append(said, controls, error);
  } else td.append(said);
  td.title = feedback.off ?? "";
  show(e.feedback);
}

export function nightTitle(fromMs, toMs) {
  const day = (ms) =>
    new Date(ms).toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
  return `${day(fromMs)} ${clock(fromMs)} – ${day(toMs)} ${clock(toMs)}`;
}
