/// <reference lib="dom" />
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import type { Browser, Page } from "puppeteer-core";
import { envWithoutBabymon } from "../support/env.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import { CRY_CLIP, Daemon } from "./daemon-support.js";
import { freePort, MOSQUITTO, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";
import { launchChromium, parsePrometheus, testOutputDir } from "./web-support.js";

/**
 * The page in a real browser (Debian's chromium through puppeteer-core) against the real daemon replaying a cry
 * at real time, with a real Mosquitto: the live graph grows, the indicator says crying, the episode is listed with
 * its reason, "Not a cry" on its row is recorded (the row says so, the SQLite file has it), the page's switch turns
 * detection off and the MQTT state says so (and back from MQTT). A screenshot of each view goes to
 * test-output/web-page/.
 */
const TOOLS = ["chromium", MOSQUITTO, "ffmpeg"];
const work = mkdtempSync(join(tmpdir(), "babymon-web-"));
const CRY = join(work, "cry.wav"); // a quiet room; the 5 s cry 20 s in; the daemon keeps running ~100 s after
const T = "babymon/nursery";

describe("the web page in chromium against babymon run", {
  timeout: 240_000,
  skip: skipWithoutTools(...TOOLS),
}, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  let browser: Browser;
  let page: Page;
  let daemon: Daemon;
  let sub: RecordingSubscriber;
  let base: string;
  const shots = testOutputDir("web-page");

  before(async () => {
    requireTools(...TOOLS);
    // pink noise at about −68 dBFS all along (a quiet room, not digital silence; seeded), the cry 20 s in
    const graph =
      "[0:a]aresample=16000,adelay=20000:all=1,apad=pad_dur=100[cry];" +
      "anoisesrc=color=pink:amplitude=0.002:duration=125:sample_rate=16000:seed=7[room];" +
      "[cry][room]amix=inputs=2:duration=shortest:normalize=0";
    execFileSync("ffmpeg", [
      "-loglevel",
      "error",
      "-y",
      "-i",
      CRY_CLIP,
      "-filter_complex",
      graph,
      "-ac",
      "1",
      CRY,
    ]);
    const broker = new MosquittoBroker();
    await broker.start();
    cleanups.push(() => broker.stop());
    sub = new RecordingSubscriber(broker.url, [`${T}/#`]);
    await sub.start();
    cleanups.push(() => sub.stop());
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(work, "babymon.yaml");
    const yaml = [
      `dataDir: ${work}/data`,
      "inference: { scoreSource: yamnet }",
      "storage: { windowLog: { enabled: true, every: 1 } }",
      "gpio: { driver: simulated }",
      `mqtt: { url: "${broker.url}", deviceId: nursery, reconnectSec: 0.5 }`,
      `web: { port: ${port} }`,
    ];
    writeFileSync(config, `${yaml.join("\n")}\n`);
    daemon = new Daemon(
      ["run", "--config", config, "--input", CRY],
      envWithoutBabymon({ NOTIFY_SOCKET: "" }),
    );
    cleanups.push(async () => {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    });
    await daemon.waitFor((l) => l.msg === "web page listening", 60_000, 1, "the web page");
    browser = await launchChromium();
    cleanups.push(() => browser.close());
    page = await browser.newPage();
    await page.setViewport({ width: 430, height: 1100, deviceScaleFactor: 1 });
    await page.goto(`${base}/#now`);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  const points = () => page.evaluate(() => Number(document.body.dataset.points ?? 0));

  test("the live graph gets new points as windows arrive", async () => {
    await page.waitForFunction(() => Number(document.body.dataset.points ?? 0) > 0, { timeout: 30_000 });
    const first = await points();
    await page.waitForFunction(
      (n) => Number(document.body.dataset.points) >= n + 3,
      { timeout: 10_000 },
      first,
    );
    assert.ok((await points()) >= first + 3);
    const drawn = await page.$eval("#live-graph canvas", (c) => (c as HTMLCanvasElement).width);
    assert.ok(drawn > 200, `the graph's canvas is ${drawn} px wide`);
  });

  test("the crying indicator turns on", async () => {
    await page.waitForSelector('#indicator[data-crying="true"]', { timeout: 60_000 });
    assert.equal(await page.$eval("#indicator-text", (e) => e.textContent), "Crying");
    assert.match(await page.$eval("#episode-line", (e) => e.textContent ?? ""), /^since /);
    const classes = await page.$$eval("#classes li", (li) => li.length);
    assert.equal(classes, 5, "YAMNet's top 5 classes are listed");
    await page.screenshot({ path: join(shots, "now-crying.png"), fullPage: true });
    await page.setViewport({ width: 1000, height: 900, deviceScaleFactor: 1 });
    await page.screenshot({ path: join(shots, "now-crying-wide.png"), fullPage: true });
    await page.setViewport({ width: 430, height: 1100, deviceScaleFactor: 1 });
  });

  test("the episode appears in the list with its reason", async () => {
    // the episode ends `holdSec` (6 s) after the cry
    await page.waitForSelector('#indicator[data-crying="false"]', { timeout: 30_000 });
    await page.goto(`${base}/#episodes`);
    await page.waitForSelector("#episode-rows tr", { timeout: 10_000 });
    const rows = await page.$$eval("#episode-rows tr", (trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute("data-episode"),
        reason: tr.querySelector(".reason")?.textContent,
      })),
    );
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const ended = daemon.lines.find((l) => l.msg === "cry ended");
    assert.ok(ended, "the daemon logged the end of the episode");
    assert.equal(rows[0].id, ended.episode);
    assert.equal(rows[0].reason, ended.reason, "the reason the daemon logged");
    await page.screenshot({ path: join(shots, "episodes.png"), fullPage: true });
  });

  test('"Not a cry" on the episode\'s row is recorded: the row shows it, the database has it, a reload too', async () => {
    const id = await page.$eval("#episode-rows tr", (tr) => tr.getAttribute("data-episode"));
    assert.ok(id);
    const row = `#episode-rows tr[data-episode="${id}"]`;
    assert.equal(await page.$eval(row, (tr) => tr.getAttribute("data-feedback")), "", "no label yet");
    const options = await page.$$eval(`${row} select.what option`, (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    assert.deepEqual(options, [
      "",
      "hungry",
      "belly_pain",
      "burping",
      "discomfort",
      "tired",
      "not_cry",
      "cry_unknown_reason",
    ]);
    await page.click(`${row} button.not-cry`);
    await page.waitForSelector(`${row}[data-feedback="not_cry"]`, { timeout: 5000 });
    assert.equal(await page.$eval(`${row} .said`, (e) => e.textContent), "You said: not a cry");
    assert.equal(await page.$eval(`${row} button.not-cry`, (e) => e.getAttribute("aria-pressed")), "true");
    assert.equal(await page.$eval(`${row} select.what`, (e) => (e as HTMLSelectElement).value), "not_cry");
    assert.equal(await page.$eval(`${row} .feedback-error`, (e) => e.textContent), "");

    const db = new Database(join(work, "data", "babymon.db"), { readonly: true });
    const rows = db.prepare("SELECT episode_id, label, source FROM learning_feedback").all();
    db.close();
    assert.deepEqual(rows, [{ episode_id: id, label: "not_cry", source: "web" }]);
    const listed = (await (await fetch(`${base}/api/episodes`)).json()) as {
      episodes: Array<{ id: string; feedback: string | null }>;
    };
    assert.deepEqual(
      listed.episodes.map((e) => [e.id, e.feedback]),
      [[id, "not_cry"]],
    );

    await page.reload();
    await page.waitForSelector(`${row}[data-feedback="not_cry"]`, { timeout: 10_000 });
    await page.screenshot({ path: join(shots, "episodes-not-a-cry.png"), fullPage: true });
    await page.setViewport({ width: 1000, height: 700, deviceScaleFactor: 1 });
    await page.screenshot({ path: join(shots, "episodes-not-a-cry-wide.png"), fullPage: true });
    await page.setViewport({ width: 430, height: 1100, deviceScaleFactor: 1 });
  });

  test("tonight's timeline shows the window log and the episode", async () => {
    await page.goto(`${base}/#tonight`);
    await page.waitForFunction(
      () => /episode/.test(document.getElementById("night-note")?.textContent ?? ""),
      {
        timeout: 10_000,
      },
    );
    assert.equal(await page.$eval("#night-note", (e) => e.textContent), "1 episode (red band)");
    await page.screenshot({ path: join(shots, "tonight.png"), fullPage: true });
  });

  test("the page's switch turns detection off, the MQTT state says so, and MQTT's switch shows on the page", async () => {
    await page.goto(`${base}/#now`);
    await page.waitForSelector('#detection-toggle[aria-pressed="true"]', { timeout: 10_000 });
    await page.click("#detection-toggle");
    await sub.waitFor(
      (m) => m.some((x) => x.topic === `${T}/state` && JSON.parse(x.payload).detection_enabled === false),
      10_000,
      "the MQTT state with detection off",
    );
    await page.waitForSelector('#detection-toggle[aria-pressed="false"]', { timeout: 5000 });
    assert.equal(await page.$eval("#indicator-text", (e) => e.textContent), "Detection off");
    await page.evaluate(() => window.scrollTo(0, 0)); // the click scrolled; a full-page shot starts at the top
    await page.screenshot({ path: join(shots, "now-detection-off.png"), fullPage: true });
    // the other way: Home Assistant's switch (MQTT) turns it on, the open page follows
    await sub.client!.publishAsync(`${T}/set/detection`, "ON");
    await page.waitForSelector('#detection-toggle[aria-pressed="true"]', { timeout: 10_000 });
  });

  test("GET /metrics parses as Prometheus text and has every babymon metric with sensible values", async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());
    const value = (k: string) => {
      const v = samples.get(k);
      assert.notEqual(v, undefined, `${k} in /metrics`);
      return v as number;
    };
    assert.equal(types.get("babymon_windows_processed_total"), "counter");
    assert.ok(value("babymon_windows_processed_total") > 20);
    assert.equal(value("babymon_windows_dropped_total"), 0);
    assert.equal(
      value('babymon_cry_episodes_total{reason="unsure"}'),
      1,
      "the one episode, unsure with YAMNet",
    );
    assert.equal(value('babymon_cry_episodes_total{reason="hungry"}'), 0);
    assert.equal(types.get("babymon_inference_seconds"), "histogram");
    const count = value("babymon_inference_seconds_count");
    assert.ok(count > 20 && count <= value("babymon_windows_processed_total"));
    const mean = value("babymon_inference_seconds_sum") / count;
    assert.ok(mean > 0.001 && mean < 2, `mean inference ${mean} s`);
    const cry = value("babymon_cry_probability");
    assert.ok(cry >= 0 && cry <= 1);
    const level = value("babymon_level_dbfs");
    assert.ok(level <= 0 && level >= -120);
    assert.equal(value("babymon_capture_up"), 1);
    assert.equal(value("babymon_mqtt_connected"), 1);
    assert.equal(value("babymon_outbox_messages"), 0);
    assert.ok(value("process_resident_memory_bytes") > 50e6, "default process metrics");
    assert.ok(value("process_cpu_seconds_total") > 0);
  });

  test("without a token (loopback): another Host is refused (DNS rebinding), a non-JSON POST changes nothing", async () => {
    const { port } = new URL(base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/api/status",
        headers: { host: `evil.example:${port}` },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(status, 421);
    const post = await fetch(`${base}/api/detection`, { method: "POST", body: '{"enabled":false}' });
    assert.equal(post.status, 400);
    assert.match(((await post.json()) as { error: string }).error, /^Expected a JSON object/);
    const now = (await (await fetch(`${base}/api/status`)).json()) as { detection: { enabled: boolean } };
    assert.equal(now.detection.enabled, true);
  });
});
