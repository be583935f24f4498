import type { FaultBoard, FaultSource } from "../../control/faults.js";
import type { BabymonEvent, ReasonOrUnsure } from "../../events.js";
import type { Logger } from "../../logging.js";
import { PermanentStartError } from "../../service/service.js";
import type { Sink } from "../sink.js";
import type { GpioConfig } from "./config.js";
import { type GpioDriver, type GpioLine, OnoffGpioDriver, SimulatedGpioDriver } from "./drivers.js";
import { type GpioChip, readGpioChips, resolveGpioNumber } from "./pins.js";

export type { FaultSource };

export interface LedInfo {
  name: string;
  /** as configured (BCM number with `numbering: bcm`) */
  pin: number;
  /** the global sysfs number driven, or null when this LED is simulated */
  gpio: number | null;
  activeLow: boolean;
}

interface Led extends LedInfo {
  set(on: boolean): void;
  close(): void;
}

export interface GpioSinkOptions {
  config: GpioConfig;
  log: Logger;
  /** Tests pass a SimulatedGpioDriver; by default `config.driver` decides. */
  driver?: GpioDriver;
  /** /sys/class/gpio chips; read from the system by default. */
  chips?: GpioChip[];
  /** The daemon's fault board, shown on the fault LED while the sink runs. */
  faults?: FaultBoard;
}

/**
 * Status LEDs next to the cot: heartbeat (blinks while audio is analysed), crying (blinks during an episode),
 * the reason (one LED per reason or an RGB colour), fault (capture down, broker down, model missing, a sink
 * that could not start). Off a board (`driver: auto` without accessible GPIO) it logs once and drives a simulated
 * one. On a board, an LED it cannot open (chip missing, pin busy) fails start(): the daemon goes on without the
 * LEDs, shows the fault and starts the sink again later; a pin no chip has is a PermanentStartError.
 */
export class GpioSink implements Sink {
  readonly name = "gpio";
  driver: GpioDriver | null = null;
  readonly #leds = new Map<string, Led>();
  readonly #faults = new Set<FaultSource>();
  #rgbLeds: { red: Led; green: Led; blue: Led } | null = null;
  #timers: NodeJS.Timeout[] = [];
  #cryingTimer: NodeJS.Timeout | null = null;
  #reasonTimer: NodeJS.Timeout | null = null;
  #lastWindowMs = Number.NEGATIVE_INFINITY;
  #heartbeatOn = false;
  #crying = false;
  #unsubscribeFaults: (() => void) | null = null;

  constructor(private readonly options: GpioSinkOptions) {}

  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (error) {
      // leave nothing exported behind, so that a later start can open the same lines again
      this.#closeLeds();
      throw error;
    }
    this.#timers.push(setInterval(() => this.#beat(), this.options.config.heartbeatMs));
    for (const t of this.#timers) t.unref();
    this.#unsubscribeFaults =
      this.options.faults?.subscribe((source, on) => this.setFault(source, on)) ?? null;
  }

  async #open(): Promise<void> {
    const { config } = this.options;
    this.driver = this.options.driver ?? (await this.#pickDriver());
    const chips = this.options.chips ?? readGpioChips();
    const open = (name: string, spec: number | { pin: number; activeLow: boolean } | null | undefined) => {
      if (spec === null || spec === undefined) return null;
      const pin = typeof spec === "number" ? spec : spec.pin;
      const activeLow = typeof spec === "number" ? config.activeLow : spec.activeLow;
      const { line, gpio } = this.#openLine(pin, name, chips);
      const led: Led = {
        name,
        pin,
        gpio,
        activeLow,
        set: (on) => line.write(on !== activeLow ? 1 : 0),
        close: () => line.close(),
      };
      this.#leds.set(name, led);
      try {
        led.set(false);
      } catch (error) {
        throw new Error(`GPIO: cannot drive pin ${pin} for the ${name} LED: ${(error as Error).message}`);
      }
      return led;
    };
    open("heartbeat", config.leds.heartbeat);
    open("crying", config.leds.crying);
    open("fault", config.leds.fault);
    for (const [reason, spec] of Object.entries(config.reasonLeds)) open(`reason:${reason}`, spec);
    if (config.rgb) {
      const polarity = (pin: number) => ({ pin, activeLow: config.rgb!.activeLow });
      this.#rgbLeds = {
        red: open("rgb:red", polarity(config.rgb.red))!,
        green: open("rgb:green", polarity(config.rgb.green))!,
        blue: open("rgb:blue", polarity(config.rgb.blue))!,
      };
    }
    this.#leds.get("fault")?.set(this.#faults.size > 0);
  }

  #openLine(pin: number, name: string, chips: GpioChip[]): { line: GpioLine; gpio: number | null } {
    const { config } = this.options;
    const driver = this.driver!;
    let gpio: number;
    try {
      gpio = resolveGpioNumber(pin, config.numbering, chips, config.chipLabel);
    } catch (error) {
      if (driver.kind === "simulated") return { line: driver.open(pin, name), gpio: null };
      const why = `GPIO: cannot use pin ${pin} for the ${name} LED: ${(error as Error).message}`;
      throw error instanceof PermanentStartError ? new PermanentStartError(why) : new Error(why);
    }
    try {
      return { line: driver.open(gpio, name), gpio: driver.kind === "simulated" ? null : gpio };
    } catch (error) {
      throw new Error(
        `GPIO: cannot open gpio${gpio} (pin ${pin}) for the ${name} LED: ${(error as Error).message}`,
      );
    }
  }

  async #pickDriver(): Promise<GpioDriver> {
    const { config, log } = this.options;
    if (config.driver === "simulated") return new SimulatedGpioDriver();
    const { driver, why } = await OnoffGpioDriver.load();
    if (driver) return driver;
    if (config.driver === "onoff") throw new Error(`GPIO: \`gpio.driver\` is onoff, but ${why}`);
    log.warn(`GPIO: ${why}; LEDs are simulated (no hardware is driven)`);
    return new SimulatedGpioDriver();
  }

  /** For faults the events do not carry (the MQTT broker connection). */
  setFault(source: FaultSource, active: boolean): void {
    if (active) this.#faults.add(source);
    else this.#faults.delete(source);
    this.#leds.get("fault")?.set(this.#faults.size > 0);
  }

  /** The LEDs opened by start(), in order. */
  leds(): LedInfo[] {
    return [...this.#leds.values()].map(({ name, pin, gpio, activeLow }) => ({ name, pin, gpio, activeLow }));
  }

  /** Lights each LED alone for `onMs` (for `babymon leds`: check the wiring). Call after start(). */
  async selfTest(onMs: number, report: (led: LedInfo) => void = () => {}): Promise<void> {
    for (const led of this.#leds.values()) led.set(false);
    for (const led of this.#leds.values()) {
      report({ name: led.name, pin: led.pin, gpio: led.gpio, activeLow: led.activeLow });
      led.set(true);
      await new Promise((r) => setTimeout(r, onMs));
      led.set(false);
    }
  }

  get faults(): FaultSource[] {
    return [...this.#faults];
  }

  async handle(event: BabymonEvent): Promise<void> {
    switch (event.type) {
      case "window":
        this.#lastWindowMs = Date.now();
        return;
      case "capture":
        this.setFault("capture", event.status !== "online");
        return;
      case "health":
        this.setFault("capture", event.health.capture !== "online");
        this.setFault("model", event.health.modelMissing);
        return;
      case "episode_start":
        this.#startBlinking();
        this.#showReason(null);
        return;
      case "episode_update":
        this.#showReason(event.episode.reason);
        return;
      case "episode_end": {
        this.#stopBlinking();
        this.#showReason(event.episode.reason);
        const holdMs = this.options.config.reasonHoldSec * 1000;
        this.#reasonTimer = setTimeout(() => this.#showReason(null), holdMs);
        this.#reasonTimer.unref();
        return;
      }
      default:
        return;
    }
  }

  async stop(): Promise<void> {
    this.#unsubscribeFaults?.();
    this.#unsubscribeFaults = null;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#stopBlinking();
    if (this.#reasonTimer) clearTimeout(this.#reasonTimer);
    this.#closeLeds();
  }

  #closeLeds(): void {
    for (const led of this.#leds.values()) {
      try {
        led.set(false);
      } catch {
        // a line that cannot be written is still closed
      }
      led.close();
    }
    this.#leds.clear();
    this.#rgbLeds = null;
  }

  #beat(): void {
    const alive = Date.now() - this.#lastWindowMs < this.options.config.stallAfterSec * 1000;
    this.#heartbeatOn = alive ? !this.#heartbeatOn : false;
    this.#leds.get("heartbeat")?.set(this.#heartbeatOn);
  }

  #startBlinking(): void {
    if (this.#crying) return;
    this.#crying = true;
    const led = this.#leds.get("crying");
    if (!led) return;
    let on = true;
    led.set(true);
    this.#cryingTimer = setInterval(() => {
      on = !on;
      led.set(on);
    }, this.options.config.blinkMs);
    this.#cryingTimer.unref();
  }

  #stopBlinking(): void {
    this.#crying = false;
    if (this.#cryingTimer) clearInterval(this.#cryingTimer);
    this.#cryingTimer = null;
    this.#leds.get("crying")?.set(false);
  }

  #showReason(reason: ReasonOrUnsure | null): void {
    if (this.#reasonTimer) clearTimeout(this.#reasonTimer);
    this.#reasonTimer = null;
    for (const [name, led] of this.#leds) {
      if (name.startsWith("reason:")) led.set(name === `reason:${reason}`);
    }
    if (this.#rgbLeds) {
      const [r, g, b] = reason ? this.options.config.colours[reason] : [false, false, false];
      this.#rgbLeds.red.set(r);
      this.#rgbLeds.green.set(g);
      this.#rgbLeds.blue.set(b);
    }
  }
}
