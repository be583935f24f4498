import type { SinkFactory } from "../sink.js";
import { GpioSink } from "./gpio-sink.js";

/** The LED sink from the `gpio` slice; it shows the faults other parts report on the fault board. */
export const gpioSinkFactory: SinkFactory = (ctx) =>
  ctx.config.gpio.enabled
    ? new GpioSink({ config: ctx.config.gpio, log: ctx.logger.child({ sink: "gpio" }), faults: ctx.faults })
    : null;
