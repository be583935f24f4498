/** "24h", "7d", "90m", "2w", or an ISO date/time → epoch ms; `what` names the value in the error (`--since`). */
export function parseSince(value: string, now = Date.now(), what = "`--since`"): number {
  const rel = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/.exec(value.trim());
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as "m" | "h" | "d" | "w"];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new RangeError(
      `Expected ${what} to be a duration like 24h, 7d, 90m or a date, got ${JSON.stringify(value)}`,
    );
  }
  return t;
}
