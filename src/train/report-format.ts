import type { Interval } from "./metrics.js";

/** How the run's reports write figures: three decimals, "n/a" for a figure that was not measured. */
export const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? "n/a" : x.toFixed(3);
/** a figure with its 95 % interval */
export const ci = (i: Interval) => `${f3(i.mean)} [${f3(i.lo)}, ${f3(i.hi)}]`;
/** mean ± std over folds */
export const ms = (s: { mean: number; std: number }) => `${f3(s.mean)} ± ${f3(s.std)}`;
