/** A GPIO output line (a global sysfs number), written with physical levels. */
export interface GpioLine {
  write(level: 0 | 1): void;
  close(): void;
}

export interface GpioDriver {
  readonly kind: "onoff" | "simulated";
  open(gpio: number, label: string): GpioLine;
}

export interface GpioTransition {
  atMs: number;
  gpio: number;
  label: string;
  level: 0 | 1;
}

/** Records every level change instead of touching hardware: used off-Pi and in tests. */
export class SimulatedGpioDriver implements GpioDriver {
  readonly kind = "simulated";
  readonly transitions: GpioTransition[] = [];
  readonly levels = new Map<string, 0 | 1>();
  /** Keeps the last `maxTransitions` only, so an always-on daemon without GPIO does not grow. */
  constructor(private readonly maxTransitions = 10_000) {}

  open(gpio: number, label: string): GpioLine {
    return {
      write: (level) => {
        if (this.levels.get(label) === level) return;
        this.levels.set(label, level);
        this.transitions.push({ atMs: Date.now(), gpio, label, level });
        if (this.transitions.length > this.maxTransitions)
          this.transitions.splice(0, this.maxTransitions / 10);
      },
      close: () => {},
    };
  }
}

interface OnoffGpio {
  writeSync(value: 0 | 1): void;
  unexport(): void;
}
interface OnoffModule {
  Gpio: { new (gpio: number, direction: "out"): OnoffGpio; accessible: boolean };
}

/** Real LEDs through `onoff` (the sysfs GPIO interface). */
export class OnoffGpioDriver implements GpioDriver {
  readonly kind = "onoff";
  private constructor(private readonly onoff: OnoffModule) {}

  /** null when onoff cannot load or /sys/class/gpio is not usable by this user. */
  static async load(): Promise<{ driver: OnoffGpioDriver | null; why: string | null }> {
    try {
      const onoff = (await import("onoff")) as unknown as OnoffModule;
      if (!onoff.Gpio.accessible) return { driver: null, why: "/sys/class/gpio is not accessible" };
      return { driver: new OnoffGpioDriver(onoff), why: null };
    } catch (error) {
      return { driver: null, why: `onoff did not load: ${(error as Error).message}` };
    }
  }

  open(gpio: number, _label: string): GpioLine {
    const line = new this.onoff.Gpio(gpio, "out");
    let last: 0 | 1 | null = null;
    return {
      write: (level) => {
        if (level === last) return;
        line.writeSync(level);
        last = level;
      },
      close: () => {
        try {
          line.writeSync(0);
          line.unexport();
        } catch {
          // best effort at shutdown
        }
      },
    };
  }
}
