import { networkInterfaces } from "node:os";
import { isLoopbackHost, type WebConfig } from "./config.js";

/** The first non-internal IPv4 address of this machine, or null. */
function lanAddress(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}

/**
 * The page's URL as another machine on the network opens it (Home Assistant's `configuration_url`), or null when
 * the page is off or bound to loopback (nobody else can reach it). A wildcard bind (0.0.0.0, ::) is named by the
 * machine's LAN address. The token is not part of it: the page asks for it.
 */
export function webPageUrl(web: WebConfig, lan: () => string | null = lanAddress): string | null {
  if (!web.enabled || isLoopbackHost(web.host)) return null;
  const wildcard = web.host === "0.0.0.0" || web.host === "::" || web.host === "[::]";
  const host = wildcard ? lan() : web.host;
  if (!host) return null;
  const named = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${named}:${web.port}/`;
}
