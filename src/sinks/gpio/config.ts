import { z } from "zod";
import { REASONS } from "../../events.js";

const pin = z.number().int().min(0).max(4095);
/** An LED: its pin, or { pin, activeLow } for one wired to 3.3 V through the LED (lit when the pin is low). */
const ledSchema = z
  .union([pin, z.object({ pin, activeLow: z.boolean().default(false) }).strict()])
  .nullable();

const colour = z.tuple([z.boolean(), z.boolean(), z.boolean()]);

/** The `gpio` slice of the daemon's config. Pin numbers are BCM numbers on a Raspberry Pi (see hardware.md). */
export const gpioConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `auto`: real GPIO when accessible, else a simulated driver (logged once); `simulated` forces it. */
    driver: z.enum(["auto", "onoff", "simulated"]).default("auto"),
    /**
     * `bcm`: Raspberry Pi BCM numbers, offset by the base of the Pi's pin controller chip (512+ on Pi 4/5
     * kernels ≥ 6.6); `chip`: line offsets on the chip labelled `chipLabel` (Jetson: e.g. tegra234-gpio);
     * `sysfs`: the global sysfs number as is.
     */
    numbering: z.enum(["bcm", "chip", "sysfs"]).default("bcm"),
    /** gpiochip label for `chip` numbering (and to override the Pi auto-detection for `bcm`). */
    chipLabel: z.string().min(1).nullable().default(null),
    /** Default polarity for LEDs given as a bare pin number. */
    activeLow: z.boolean().default(false),
    leds: z
      .object({
        /** Blinks while audio windows are being processed; dark when the pipeline stalls. */
        heartbeat: ledSchema.default(17),
        /** Blinks during a cry episode. */
        crying: ledSchema.default(27),
        /** Lit while something is wrong: capture down, broker down, model missing. */
        fault: ledSchema.default(22),
      })
      .strict()
      .prefault({}),
    /** One LED per reason (and `unsure`), lit from the provisional reason until `reasonHoldSec` after the end. */
    reasonLeds: z.partialRecord(z.enum([...REASONS, "unsure"]), ledSchema).default({}),
    /** Or one RGB LED (three pins; common-anode parts need activeLow) showing a colour per reason. */
    rgb: z
      .object({ red: pin, green: pin, blue: pin, activeLow: z.boolean().default(false) })
      .strict()
      .nullable()
      .default(null),
    colours: z
      .object({
        hungry: colour.default([true, false, false]),
        belly_pain: colour.default([true, false, true]),
        burping: colour.default([false, true, true]),
        discomfort: colour.default([true, true, false]),
        tired: colour.default([false, false, true]),
        unsure: colour.default([true, true, true]),
      })
      .strict()
      .prefault({}),
    heartbeatMs: z.number().int().min(50).max(10_000).default(1000),
    blinkMs: z.number().int().min(20).max(5000).default(250),
    reasonHoldSec: z.number().min(0).max(86_400).default(600),
    /** No window for this long → the heartbeat LED goes dark. */
    stallAfterSec: z.number().min(0.5).max(600).default(5),
  })
  .strict();

export type GpioConfig = z.infer<typeof gpioConfigSchema>;
