import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gpioConfigSchema } from "../../src/sinks/gpio/config.js";
import { type GpioChip, readGpioChips, resolveGpioNumber } from "../../src/sinks/gpio/pins.js";

function fakeSysfs(chips: GpioChip[]): string {
  const root = mkdtempSync(join(tmpdir(), "babymon-sysfs-"));
  for (const c of chips) {
    mkdirSync(join(root, c.name));
    writeFileSync(join(root, c.name, "base"), `${c.base}\n`);
    writeFileSync(join(root, c.name, "ngpio"), `${c.ngpio}\n`);
    writeFileSync(join(root, c.name, "label"), `${c.label}\n`);
  }
  writeFileSync(join(root, "export"), "");
  return root;
}

// layouts as reported by /sys/class/gpio on the boards (kernel 6.6+ for the Pis)
const PI5: GpioChip[] = [
  { name: "gpiochip512", base: 512, ngpio: 32, label: "gpio-brcmstb@107d508500" },
  { name: "gpiochip544", base: 544, ngpio: 4, label: "gpio-brcmstb@107d508520" },
  { name: "gpiochip571", base: 571, ngpio: 54, label: "pinctrl-rp1" },
];
const PI4: GpioChip[] = [
  { name: "gpiochip512", base: 512, ngpio: 58, label: "pinctrl-bcm2711" },
  { name: "gpiochip570", base: 570, ngpio: 8, label: "raspberrypi-exp-gpio" },
];
const JETSON_ORIN: GpioChip[] = [
  { name: "gpiochip316", base: 316, ngpio: 32, label: "tegra234-gpio-aon" },
  { name: "gpiochip348", base: 348, ngpio: 164, label: "tegra234-gpio" },
];

test("BCM numbers are offset by the Pi's header chip: Pi 5 (RP1 at 571), Pi 4 (512), old kernels (0)", () => {
  assert.equal(resolveGpioNumber(17, "bcm", readGpioChips(fakeSysfs(PI5))), 588);
  assert.equal(resolveGpioNumber(17, "bcm", readGpioChips(fakeSysfs(PI4))), 529);
  assert.equal(
    resolveGpioNumber(17, "bcm", [{ name: "gpiochip0", base: 0, ngpio: 54, label: "pinctrl-bcm2835" }]),
    17,
  );
  assert.equal(resolveGpioNumber(17, "bcm", []), 17);
});

test("Jetson: chip offsets on a labelled chip, or sysfs numbers as given", () => {
  assert.equal(resolveGpioNumber(85, "chip", JETSON_ORIN, "tegra234-gpio"), 433);
  assert.equal(resolveGpioNumber(433, "sysfs", JETSON_ORIN), 433);
  assert.throws(
    () => resolveGpioNumber(1, "chip", JETSON_ORIN, "tegra194-gpio"),
    /labelled tegra194-gpio, found/,
  );
  assert.throws(() => resolveGpioNumber(1, "chip", JETSON_ORIN), /gpio.chipLabel/);
  assert.throws(() => resolveGpioNumber(60, "bcm", PI5), /below 54/);
});

test("readGpioChips reads base, ngpio and label, sorted by base; a missing sysfs gives none", () => {
  assert.deepEqual(readGpioChips(fakeSysfs([...PI5].reverse())), PI5);
  assert.deepEqual(readGpioChips("/nonexistent/gpio"), []);
});

test("the gpio config has Pi defaults and names bad values", () => {
  const c = gpioConfigSchema.parse({});
  assert.deepEqual(c.leds, { heartbeat: 17, crying: 27, fault: 22 });
  assert.equal(c.numbering, "bcm");
  const bad = gpioConfigSchema.safeParse({ leds: { crying: -1 } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0]!.path.slice(0, 2), ["leds", "crying"]);
  assert.equal(gpioConfigSchema.safeParse({ reasonLeds: { sleepy: 5 } }).success, false);
});
