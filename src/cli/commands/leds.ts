import type { Command } from "commander";
import { createLogger } from "../../logging.js";
import { GpioSink } from "../../sinks/gpio/gpio-sink.js";
import { loadConfigOrExit, withConfigOption } from "../config-options.js";
import { orExit } from "../or-exit.js";

/** `babymon leds`: lights every configured LED in turn, to check the wiring (see hardware.md). */
export function register(program: Command): void {
  withConfigOption(
    program
      .command("leds")
      .description("light each configured LED in turn and print its pin, to check the wiring")
      .option("--on-ms <ms>", "how long each LED stays lit", "800")
      .option("--rounds <n>", "how many times to go through the LEDs", "1"),
  ).action(async (opts: { config?: string; onMs: string; rounds: string }) => {
    const loaded = loadConfigOrExit(opts.config);
    const onMs = Number(opts.onMs);
    const rounds = Number(opts.rounds);
    if (!Number.isFinite(onMs) || onMs < 10 || onMs > 60_000) {
      process.stderr.write(
        `babymon leds: Expected \`--on-ms\` to be between 10 and 60000, got ${opts.onMs}\n`,
      );
      process.exit(2);
    }
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
      process.stderr.write(
        `babymon leds: Expected \`--rounds\` to be an integer from 1 to 100, got ${opts.rounds}\n`,
      );
      process.exit(2);
    }
    const logger = createLogger({ level: "warn" }, 2);
    const sink = new GpioSink({ config: { ...loaded.config.gpio, enabled: true }, log: logger });
    // a busy or missing pin is a clear message, not a stack trace
    await orExit(sink.start());
    console.log(`driver: ${sink.driver?.kind}`);
    if (sink.leds().length === 0) console.log("no LEDs configured (gpio.leds, gpio.reasonLeds, gpio.rgb)");
    for (let i = 0; i < rounds; i++) {
      await sink.selfTest(onMs, (led) => {
        const where = led.gpio === null ? "simulated" : `sysfs gpio${led.gpio}`;
        console.log(
          `${led.name.padEnd(18)} pin ${String(led.pin).padEnd(4)} ${where}${led.activeLow ? ", active-low" : ""}`,
        );
      });
    }
    await sink.stop();
  });
}
