import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { App, loadAnalyzer } from "../../src/app.js";
import { encodeWav } from "../../src/audio/wav.js";
import { loadConfig } from "../../src/config/load.js";
import { clipRecorderFactory } from "../../src/sinks/clips/factory.js";
import { type GpioDriver, SimulatedGpioDriver } from "../../src/sinks/gpio/drivers.js";
import { GpioSink } from "../../src/sinks/gpio/gpio-sink.js";
import type { GpioChip } from "../../src/sinks/gpio/pins.js";
import { mqttSinkFactory } from "../../src/sinks/mqtt/factory.js";
import type { SinkFactory } from "../../src/sinks/sink.js";
import { sqliteSinkFactory } from "../../src/sinks/sqlite/factory.js";
import { memoryLogger } from "../support/memory-logger.js";
import { CRY_CLIP, concat, load16k, quiet } from "./daemon-support.js";
import { freePort, MosquittoBroker, RecordingSubscriber } from "./mqtt-support.js";

/**
 * The composition root in-process with real parts — YAMNet, the SQLite file, a Mosquitto broker, `babymon run`'s
 * own sinks — and fake GPIO pins only: a sink that cannot start does not take the daemon down, its fault shows,
 * it is retried; a sink that never stops does not hang shutdown; the database closes last.
 */
type Analyzer = Awaited<ReturnType<typeof loadAnalyzer>>;

let dir: string;
let analyzer: Analyzer;
/** YAMNet, loaded once: each App disposes its analyzer at stop, so each gets this view of the one model. */
let shared: Analyzer;
let cryWav: string;
let cryAtEndWav: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "babymon-app-"));
  const cry = await load16k(CRY_CLIP);
  cryWav = join(dir, "cry.wav");
  writeFileSync(cryWav, encodeWav(concat(quiet(1), cry, quiet(4)), 16000));
  cryAtEndWav = join(dir, "cry-at-end.wav");
  writeFileSync(cryAtEndWav, encodeWav(concat(quiet(1), cry), 16000));
  const { config } = loadConfig({ env: {}, overrides: { "inference.scoreSource": "yamnet" } });
  analyzer = await loadAnalyzer(config.inference, memoryLogger("fatal").log);
  shared = {
    models: analyzer.models,
    backend: analyzer.backend,
    headsOperatingPoint: analyzer.headsOperatingPoint,
    analyze: (windows) => analyzer.analyze(windows),
    dispose: () => {},
  };
});
after(() => {
  analyzer?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function daemonConfig(name: string, input: string, overrides: Record<string, unknown> = {}) {
  return loadConfig({
    env: {},
    overrides: {
      dataDir: join(dir, name),
      "audio.input": input,
      "audio.realtime": false,
      "inference.scoreSource": "yamnet",
      "detection.holdSec": 1,
      "detection.cooldownSec": 0.5,
      "mqtt.deviceId": "nursery",
      "mqtt.reconnectSec": 0.3,
      ...overrides,
    },
  }).config;
}

/**
 * Fake GPIO pins behind a driver that acts as the real one: while `busy` (another process holds them) the sysfs
 * export fails with EBUSY, after `free()` the lines are simulated.
 */
function fakePins(busy: boolean) {
  const pins = new SimulatedGpioDriver();
  const driver: GpioDriver = {
    kind: "onoff",
    open: (gpio, label) => {
      if (busy)
        throw Object.assign(new Error(`EBUSY: resource busy or locked, export ${gpio}`), { code: "EBUSY" });
      return pins.open(gpio, label);
    },
  };
  const factory =
    (chips: GpioChip[] = []): SinkFactory =>
    (ctx) =>
      new GpioSink({
        config: ctx.config.gpio,
        log: ctx.logger.child({ sink: "gpio" }),
        faults: ctx.faults,
        driver,
        chips,
      });
  return {
    pins,
    factory,
    free: () => {
      busy = false;
    },
  };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rows<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const names = (app: App) => app.sinks.map((s) => s.name);

describe("the composition root with sinks that fail", { timeout: 120_000 }, () => {
  it("GPIO pins busy and no broker listening: the daemon listens and writes SQLite, both faults show in health, GPIO comes up on a retry", async () => {
    const port = await freePort(); // nothing listens there
    const gpio = fakePins(true);
    const { log, lines } = memoryLogger();
    const config = daemonConfig("faults", cryWav, {
      "mqtt.url": `mqtt://127.0.0.1:${port}`,
      "logging.healthEverySec": 1,
    });
    const app = new App({
      config,
      logger: log,
      analyzer: shared,
      sinkFactories: [sqliteSinkFactory, mqttSinkFactory, gpio.factory()],
      retry: { firstMs: 200, maxMs: 400 },
    });
    await app.start();
    try {
      assert.deepEqual(names(app), ["sqlite", "mqtt"], "MQTT runs (it keeps reconnecting); GPIO does not");
      const failed = lines.find((l) => l.msg.startsWith("sink:gpio could not start"));
      assert.ok(failed, "the failure is logged");
      assert.match(failed.msg, /GPIO: cannot open gpio17 \(pin 17\) for the heartbeat LED: EBUSY/);
      assert.match(failed.msg, /the daemon goes on without it, retrying in 0\.2 s/);
      assert.deepEqual(app.faults.active().sort(), ["broker", "sink:gpio"]);

      await app.pipeline.finished;
      await until("a health tick after the replay", () => (app.health.latest?.processedWindows ?? 0) > 10);
      const health = app.health.latest!;
      assert.deepEqual([...health.faults].sort(), ["broker", "sink:gpio"]);
      const db = join(dir, "faults", "babymon.db");
      await until(
        "the episode row",
        () => rows(db, "SELECT id FROM episodes WHERE status = 'closed'").length === 1,
      );
      await until("a retry", () => lines.some((l) => l.msg.startsWith("sink:gpio still cannot start")));

      gpio.free();
      await until("GPIO to start", () => names(app).includes("gpio"));
      assert.ok(lines.some((l) => l.msg === "sink:gpio started" && (l.attempt as number) >= 2));
      assert.deepEqual(app.health.latest?.faults, ["broker"], "the health value follows the fault board");
      assert.equal(gpio.pins.levels.get("fault"), 1, "the fault LED shows the broker being away");
    } finally {
      await app.stop();
    }
    const [last] = rows<{ data: string }>(
      join(dir, "faults", "babymon.db"),
      "SELECT data FROM health WHERE kind = 'health' ORDER BY id DESC LIMIT 1",
    );
    assert.deepEqual(JSON.parse(last.data).faults, ["broker"], "the SQLite health row has the faults");
  });

  it("a sink whose stop() never resolves: App.stop() returns after the sinks' deadline, names it, and closes the database", async () => {
    const { log, lines } = memoryLogger();
    const hung: SinkFactory = () => ({
      name: "hung",
      start: async () => {},
      handle: async () => {},
      stop: () => new Promise<void>(() => {}),
    });
    const app = new App({
      config: daemonConfig("hung", cryWav),
      logger: log,
      analyzer: shared,
      sinkFactories: [sqliteSinkFactory, hung],
      stopDeadlines: { sinks: 500 },
    });
    await app.start();
    await app.pipeline.finished;
    const db = app.database!;
    const t0 = Date.now();
    await app.stop();
    const ms = Date.now() - t0;
    assert.ok(ms >= 500 && ms < 3000, `stopped after ${ms} ms`);
    assert.ok(lines.some((l) => l.msg === "sink:hung did not stop within 500 ms; going on without it"));
    assert.equal(db.open, false, "the database is closed");
    const stops = rows(join(dir, "hung", "babymon.db"), "SELECT id FROM health WHERE kind = 'daemon_stop'");
    assert.equal(stops.length, 1, "the SQLite sink stopped before the database closed");
  });

  it("an episode still open at stop: its clip is linked to its row by the time App.stop() returns", async () => {
    const app = new App({
      config: daemonConfig("clips", cryAtEndWav, { "storage.clips.enabled": true }),
      logger: memoryLogger().log,
      analyzer: shared,
      sinkFactories: [sqliteSinkFactory, clipRecorderFactory],
    });
    await app.start();
    assert.deepEqual(names(app), ["clips", "sqlite"], "the clip recorder starts before the sink it follows");
    await app.pipeline.finished;
    await app.stop();
    const [episode] = rows<{ status: string; clip_path: string | null }>(
      join(dir, "clips", "babymon.db"),
      "SELECT status, clip_path FROM episodes",
    );
    assert.equal(episode?.status, "closed", "closed by the stop");
    assert.ok(episode.clip_path && existsSync(episode.clip_path), `clip linked: ${episode.clip_path}`);
  });

  it("MQTT's password file missing at start: retried until it appears; Home Assistant's health topic shows the GPIO sink left off", async () => {
    const broker = new MosquittoBroker({ babymon: "correct horse" });
    await broker.start();
    const sub = new RecordingSubscriber(broker.url, ["babymon/nursery/health"], {
      username: "babymon",
      password: "correct horse",
    });
    await sub.start();
    const passwordFile = join(dir, "mqtt-password");
    const { log, lines } = memoryLogger();
    const config = daemonConfig("password", cryWav, {
      "mqtt.url": broker.url,
      "mqtt.username": "babymon",
      "mqtt.passwordFile": passwordFile,
      "gpio.leds.fault": 60, // the Pi 5 header has 54 lines: no retry can help
    });
    const pi5 = [{ name: "gpiochip571", base: 571, ngpio: 54, label: "pinctrl-rp1" }];
    const gpio = fakePins(false).factory(pi5);
    const app = new App({
      config,
      logger: log,
      analyzer: shared,
      sinkFactories: [sqliteSinkFactory, mqttSinkFactory, gpio],
      retry: { firstMs: 200, maxMs: 200 },
    });
    try {
      await app.start();
      assert.deepEqual(names(app), ["sqlite"]);
      assert.ok(
        lines.some((l) =>
          /^sink:mqtt could not start: Expected `mqtt\.passwordFile` to be a readable file/.test(l.msg),
        ),
      );
      const leftOff = lines.find((l) => l.msg.startsWith("sink:gpio could not start"));
      assert.match(leftOff?.msg ?? "", /Expected pin 60 to be below 54.*; left off \(retrying cannot help\)/);

      writeFileSync(passwordFile, "correct horse\n", { mode: 0o600 });
      await until("MQTT to connect", () => lines.some((l) => l.msg === "MQTT: connected"));
      await sub.waitFor(
        (m) => m.some((x) => JSON.stringify(JSON.parse(x.payload).faults) === '["sink:gpio"]'),
        5000,
        "the health topic with the GPIO fault only",
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(lines.filter((l) => l.msg.startsWith("sink:gpio")).length, 1, "GPIO is not retried");
    } finally {
      await app.stop();
      await sub.stop();
      await broker.stop();
    }
  });
});
