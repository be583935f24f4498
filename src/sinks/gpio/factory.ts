import type { SinkFactory } from "../../app.js";
import { GpioSink } from "./gpio-sink.js";

/** The LED sink from the `gpio` slice; it shows the faults other parts report on the fault board. */
export const gpioSinkFactory: SinkFactory = (ctx) => {
  if (!ctx.config.gpio.enabled) return null;
  const sink = new GpioSink({ config: ctx.config.gpio, log: ctx.logger.child({ sink: "gpio" }) });
  ctx.faults.subscribe((source, active) => sink.setFault(source, active));
  return sink;
};
