import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PermanentStartError } from "../../service/service.js";

/** One /sys/class/gpio/gpiochipN entry. */
export interface GpioChip {
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/** Labels of the Raspberry Pi's 40-pin header controller, newest first (Pi 5: RP1; Pi 4: BCM2711; older). */
export const RASPBERRY_PI_CHIP_LABELS = [
  "pinctrl-rp1",
  "pinctrl-bcm2711",
  "pinctrl-bcm2835",
  "raspberrypi-gpio",
];

export function readGpioChips(root = "/sys/class/gpio"): GpioChip[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith("gpiochip"));
  } catch {
    return [];
  }
  const chips: GpioChip[] = [];
  for (const name of names) {
    try {
      const read = (f: string) => readFileSync(join(root, name, f), "utf8").trim();
      chips.push({ name, base: Number(read("base")), ngpio: Number(read("ngpio")), label: read("label") });
    } catch {
      // a chip that vanished or is unreadable is simply not a candidate
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The global sysfs GPIO number for a configured pin. On Raspberry Pi kernels ≥ 6.6 the header's chip no
 * longer starts at 0 (Pi 4: gpiochip512, Pi 5: gpiochip571), so BCM numbers are offset by that chip's base.
 * A configuration that no chip can satisfy throws PermanentStartError; a chip not there (yet) a plain Error.
 */
export function resolveGpioNumber(
  pin: number,
  numbering: "bcm" | "chip" | "sysfs",
  chips: GpioChip[],
  chipLabel: string | null = null,
): number {
  if (numbering === "sysfs") return pin;
  const wanted = chipLabel ? [chipLabel] : numbering === "bcm" ? RASPBERRY_PI_CHIP_LABELS : [];
  if (numbering === "chip" && !chipLabel) {
    throw new PermanentStartError("Expected `gpio.chipLabel` to be set when `gpio.numbering` is `chip`");
  }
  const chip = wanted.map((label) => chips.find((c) => c.label === label)).find((c) => c !== undefined);
  if (!chip) {
    if (numbering === "bcm" && chipLabel === null) return pin; // an old kernel (base 0) or no sysfs GPIO at all
    const seen = chips.map((c) => `${c.name} "${c.label}"`).join(", ") || "none";
    throw new Error(`Expected a gpiochip labelled ${wanted.join(" or ")}, found ${seen}`);
  }
  if (pin >= chip.ngpio) {
    throw new PermanentStartError(
      `Expected pin ${pin} to be below ${chip.ngpio} (the number of lines of ${chip.label})`,
    );
  }
  return chip.base + pin;
}
