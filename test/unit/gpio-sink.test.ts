import assert from "node:assert/strict";
import { test } from "node:test";
import type { BabymonEvent, EpisodeInfo } from "../../src/events.js";
import { PermanentStartError } from "../../src/service/service.js";
import { gpioConfigSchema } from "../../src/sinks/gpio/config.js";
import { type GpioDriver, SimulatedGpioDriver } from "../../src/sinks/gpio/drivers.js";
import { GpioSink } from "../../src/sinks/gpio/gpio-sink.js";
import { memoryLogger } from "../support/memory-logger.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ep: EpisodeInfo = {
  id: "ep-1",
  startMs: 0,
  startSec: 0,
  peak: 0.9,
  reason: "tired",
  confidence: 0.8,
  probabilities: { hungry: 0.05, belly_pain: 0.05, burping: 0.05, discomfort: 0.05, tired: 0.8 },
  levelDbfs: -20,
  models: { yamnet: "x", heads: "h" },
};

const levels = (d: SimulatedGpioDriver, label: string) =>
  d.transitions.filter((t) => t.label === label).map((t) => t.level);

test("simulated GPIO records the LED transitions of an episode", async () => {
  const config = gpioConfigSchema.parse({
    driver: "simulated",
    blinkMs: 40,
    heartbeatMs: 50,
    reasonHoldSec: 0.2,
    leds: { heartbeat: 17, crying: 27, fault: { pin: 22, activeLow: true } },
    reasonLeds: { hungry: 5, tired: 6 },
    rgb: { red: 13, green: 19, blue: 26, activeLow: true },
  });
  const driver = new SimulatedGpioDriver();
  const sink = new GpioSink({ config, log: memoryLogger().log, driver, chips: [] });
  await sink.start();
  // every LED starts dark; active-low LEDs are dark at level 1
  assert.equal(driver.levels.get("crying"), 0);
  assert.equal(driver.levels.get("fault"), 1);
  assert.equal(driver.levels.get("rgb:red"), 1);

  const win: BabymonEvent = {
    type: "window",
    at: 0,
    timeSec: 0,
    levelDbfs: -40,
    cry: 0.1,
    yamnetCry: 0,
    gated: false,
  };
  for (let i = 0; i < 4; i++) {
    await sink.handle(win);
    await sleep(50);
  }
  assert.ok(levels(driver, "heartbeat").length >= 3, "the heartbeat blinks while windows arrive");

  await sink.handle({ type: "episode_start", at: 0, episode: { ...ep, reason: "unsure" } });
  await sleep(220);
  await sink.handle({ type: "episode_update", at: 5000, episode: ep });
  assert.equal(driver.levels.get("reason:tired"), 1);
  assert.equal(driver.levels.get("reason:hungry"), 0);
  assert.deepEqual(
    ["rgb:red", "rgb:green", "rgb:blue"].map((l) => driver.levels.get(l)),
    [1, 1, 0],
  ); // blue, active-low
  await sink.handle({
    type: "episode_end",
    at: 9000,
    episode: { ...ep, endMs: 9000, endSec: 9, durationSec: 9 },
  });
  const crying = levels(driver, "crying");
  assert.equal(crying[0], 0);
  assert.ok(crying.length >= 6, `the crying LED blinked during the episode: ${crying}`);
  assert.equal(crying.at(-1), 0, "and is dark after the end");
  assert.equal(driver.levels.get("reason:tired"), 1, "the reason stays lit after the end…");
  await sleep(300);
  assert.equal(driver.levels.get("reason:tired"), 0, "…until reasonHoldSec has passed");
  assert.equal(driver.levels.get("rgb:blue"), 1);

  // faults: capture down, broker down; the fault LED is active-low
  await sink.handle({ type: "capture", at: 0, status: "stalled", restarts: 1, detail: null });
  assert.equal(driver.levels.get("fault"), 0);
  sink.setFault("broker", true);
  await sink.handle({ type: "capture", at: 0, status: "online", restarts: 1, detail: null });
  assert.equal(driver.levels.get("fault"), 0, "still lit: the broker is down");
  sink.setFault("broker", false);
  assert.equal(driver.levels.get("fault"), 1);

  await sink.stop();
  const activeLow = new Set(["fault", "rgb:red", "rgb:green", "rgb:blue"]);
  for (const [label, level] of driver.levels)
    assert.equal(level, activeLow.has(label) ? 1 : 0, `${label} dark at stop`);
});

test("without accessible GPIO the sink logs once and simulates; it never throws", async () => {
  const { log, lines } = memoryLogger();
  const sink = new GpioSink({
    config: gpioConfigSchema.parse({ driver: "auto", numbering: "chip", chipLabel: "tegra234-gpio" }),
    log,
    chips: [],
  });
  await sink.start();
  // this machine has no /sys/class/gpio for us: onoff reports it inaccessible
  assert.equal(sink.driver?.kind, "simulated");
  assert.equal(lines.filter((l) => l.msg.startsWith("GPIO: ")).length, 1);
  assert.match(lines[0]!.msg, /LEDs are simulated/);
  await sink.handle({ type: "episode_start", at: 0, episode: ep });
  await sink.stop();
});

test("selfTest lights each LED alone, in order, and reports pins (for `babymon leds`)", async () => {
  const driver = new SimulatedGpioDriver();
  const config = gpioConfigSchema.parse({ driver: "simulated", reasonLeds: { hungry: 5 } });
  const sink = new GpioSink({ config, log: memoryLogger().log, driver, chips: [] });
  await sink.start();
  const reported: string[] = [];
  const litDuring: string[][] = [];
  await sink.selfTest(10, (led) => {
    reported.push(`${led.name}@${led.pin}`);
    setTimeout(() => litDuring.push([...driver.levels].filter(([, v]) => v === 1).map(([l]) => l)), 5);
  });
  await sink.stop();
  assert.deepEqual(reported, ["heartbeat@17", "crying@27", "fault@22", "reason:hungry@5"]);
  assert.deepEqual(litDuring, [["heartbeat"], ["crying"], ["fault"], ["reason:hungry"]]);
});

test("on a board, an LED that cannot be opened fails start and releases the lines it opened; a pin beyond the chip is permanent", async () => {
  const open = new Map<number, boolean>();
  let busy = 27;
  // the sysfs export of a pin another process holds fails with EBUSY
  const driver: GpioDriver = {
    kind: "onoff",
    open: (gpio) => {
      if (gpio === busy) throw new Error(`EBUSY: resource busy or locked, export ${gpio}`);
      open.set(gpio, true);
      return { write: () => {}, close: () => open.set(gpio, false) };
    },
  };
  const sink = new GpioSink({
    config: gpioConfigSchema.parse({ driver: "onoff" }),
    log: memoryLogger().log,
    driver,
    chips: [],
  });
  await assert.rejects(sink.start(), /^Error: GPIO: cannot open gpio27 \(pin 27\) for the crying LED: EBUSY/);
  assert.deepEqual([...open], [[17, false]], "the heartbeat line is closed again, so a retry can open it");
  busy = -1;
  await sink.start();
  assert.deepEqual(
    [...open],
    [
      [17, true],
      [27, true],
      [22, true],
    ],
  );
  await sink.stop();

  const pi5 = [{ name: "gpiochip571", base: 571, ngpio: 54, label: "pinctrl-rp1" }];
  const beyond = new GpioSink({
    config: gpioConfigSchema.parse({ driver: "onoff", leds: { fault: 60 } }),
    log: memoryLogger().log,
    driver,
    chips: pi5,
  });
  await assert.rejects(
    beyond.start(),
    (e) => e instanceof PermanentStartError && /fault LED: Expected pin 60 to be below 54/.test(e.message),
  );
});

test("driver: onoff without usable GPIO fails start (to be retried) where driver: auto simulates", async () => {
  const sink = new GpioSink({
    config: gpioConfigSchema.parse({ driver: "onoff" }),
    log: memoryLogger().log,
    chips: [],
  });
  // this machine has no /sys/class/gpio for us (see the test above for `auto`)
  await assert.rejects(sink.start(), /GPIO: `gpio\.driver` is onoff, but /);
});
