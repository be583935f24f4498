/** `x` rounded to `digits` decimals, half up (Math.round): the figures of JSON lines and MQTT payloads. */
export function round(x: number, digits = 4): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
