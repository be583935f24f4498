import { isIP } from "node:net";
import { z } from "zod";

/** 127.0.0.0/8, ::1 and `localhost`: only this machine can reach a page bound there. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/**
 * The `web` slice: the local page, its API and `/metrics` (src/web/). On a loopback address the page needs no
 * token; bound anywhere else, `token` is required and checked on every request and stream.
 */
export const webConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8780),
    /** Required when `host` is not a loopback address; then asked of every request (and stream). */
    token: z.string().min(1).optional(),
    /** "Listen in": live audio to the page. Off by default; only with a token. */
    listen: z.boolean().default(false),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (!w.enabled || w.token !== undefined) return;
    const why = !isLoopbackHost(w.host)
      ? `\`web.host\` (${JSON.stringify(w.host)}) is not a loopback address (set \`web.token\` or BABYMON_WEB__TOKEN, or bind \`web.host\` to 127.0.0.1)`
      : w.listen
        ? "`web.listen` is true: live audio is only sent with a token (set `web.token` or BABYMON_WEB__TOKEN)"
        : null;
    if (why)
      ctx.addIssue({
        code: "custom",
        path: ["token"],
        message: `a secret (at least one character) when ${why}`,
      });
  });

export type WebConfig = z.infer<typeof webConfigSchema>;
