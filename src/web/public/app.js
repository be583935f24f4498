// The page: one event stream (/api/events) for "Now", the API for the night and the episodes, and the controls.
import { liveGraph, nightGraph } from "/graphs.js";
import {
  $,
  nightTitle,
  renderClasses,
  renderControls,
  renderEpisodes,
  renderIndicator,
  renderStatus,
} from "/views.js";

const LIVE_SPAN_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
const VIEWS = ["now", "tonight", "episodes"];

let live = null;
let night = null;
let oldestEpisodeMs = null;

async function api(path, init) {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res.json();
}

function showStatus(status) {
  renderIndicator(status);
  renderClasses(status);
  renderStatus(status);
  renderControls(status);
}

function connect() {
  const source = new EventSource("/api/events");
  const dot = $("connection");
  source.onopen = () => dot.classList.add("live");
  source.onerror = () => dot.classList.remove("live");
  source.addEventListener("status", (m) => showStatus(JSON.parse(m.data)));
  source.addEventListener("history", (m) => live.reset(JSON.parse(m.data)));
  source.addEventListener("tick", (m) => {
    const { point, status } = JSON.parse(m.data);
    live.add(point);
    showStatus(status);
    document.body.dataset.points = String(live.count);
  });
  source.addEventListener("episode", (m) => {
    const { type } = JSON.parse(m.data);
    if (type === "episode_start" || type === "episode_end" || type === "episode_update")
      void loadEpisodes(false);
  });
}

async function loadEpisodes(older) {
  const params = new URLSearchParams({ limit: "50" });
  if (older && oldestEpisodeMs !== null) {
    params.set("before", String(oldestEpisodeMs));
    params.set("since", String(oldestEpisodeMs - 30 * 24 * HOUR_MS));
  }
  const { episodes, feedback } = await api(`/api/episodes?${params}`);
  renderEpisodes(episodes, older, feedback, giveFeedback);
  if (episodes.length > 0) oldestEpisodeMs = episodes.at(-1).startMs;
  $("episodes-older").hidden = episodes.length < 50;
}

/** `dateText` (yyyy-mm-dd): that night, 20:00 to 08:00; none: the last 12 hours. */
async function loadNight(dateText) {
  let query = "since=12h";
  if (dateText) {
    const from = new Date(`${dateText}T20:00:00`).getTime();
    query = `since=${from}&until=${from + 12 * HOUR_MS}`;
  }
  const data = await api(`/api/night?${query}`);
  $("night-title").textContent = dateText ? nightTitle(data.fromMs, data.toMs) : "Last 12 hours";
  const n = data.episodes.length;
  const episodes = n === 0 ? "No episode" : n === 1 ? "1 episode (red band)" : `${n} episodes (red bands)`;
  $("night-note").textContent = data.windowLog
    ? episodes
    : `${episodes}. Level and cry probability need the window log: storage.windowLog.enabled: true`;
  night ??= nightGraph($("night-graph"));
  night.show(data);
}

function route() {
  const view = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "now";
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
  if (view === "tonight") void loadNight($("night-date").value);
  if (view === "episodes") void loadEpisodes(false);
}

function controls() {
  $("detection-toggle").addEventListener("click", async (e) => {
    const on = e.currentTarget.getAttribute("aria-pressed") === "true";
    showStatus({ ...(await api("/api/status")), detection: await setDetection({ enabled: !on }) });
  });
  const slider = $("sensitivity");
  slider.addEventListener("input", () => {
    $("sensitivity-value").textContent = Number(slider.value).toFixed(2);
  });
  slider.addEventListener("change", () => void setDetection({ sensitivity: Number(slider.value) }));
  // live audio only, no speech to caption: an Audio object rather than an <audio> element
  const audio = new Audio();
  audio.preload = "none";
  $("listen-toggle").addEventListener("click", (e) => {
    const button = e.currentTarget;
    if (audio.paused) {
      audio.src = `/api/listen?t=${Date.now()}`;
      void audio.play();
      button.textContent = "Stop listening";
      button.classList.remove("off");
    } else {
      audio.pause();
      audio.removeAttribute("src");
      audio.load();
      button.textContent = "Listen in";
      button.classList.add("off");
    }
  });
  $("night-date").addEventListener("change", (e) => void loadNight(e.currentTarget.value));
  $("night-last").addEventListener("click", () => {
    $("night-date").value = "";
    void loadNight("");
  });
  $("episodes-older").addEventListener("click", () => void loadEpisodes(true));
}

/** "Not a cry" / "What was it?" on a row: the daemon's answer `{ episodeId, label }`, or its error as thrown. */
async function giveFeedback(episodeId, label) {
  const res = await fetch("/api/feedback", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ episode_id: episodeId, label }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function setDetection(body) {
  return api("/api/detection", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

// A page opened with ?token=… got the token as a cookie: take it out of the address bar (and the history).
if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", `/${location.hash}`);
live = liveGraph($("live-graph"), LIVE_SPAN_MS);
controls();
window.addEventListener("hashchange", route);
route();
connect();
