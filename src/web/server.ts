import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { PROJECT_ROOT } from "../version.js";
import { tokenCheck } from "./auth.js";
import { isLoopbackHost } from "./config.js";
import { type ApiParts, registerApi } from "./routes.js";

/** The page's own files (plain ES modules, HTML, CSS: no build step), served from the package. */
export const PUBLIC_DIR = join(PROJECT_ROOT, "src", "web", "public");
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve("uplot"));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
};

/** URL → file: only these, read once at start (no path from a request ever reaches the file system). */
function staticFiles(): Map<string, { body: Buffer; type: string }> {
  const files: Array<[string, string]> = [
    ["/", join(PUBLIC_DIR, "index.html")],
    ["/app.js", join(PUBLIC_DIR, "app.js")],
    ["/graphs.js", join(PUBLIC_DIR, "graphs.js")],
    ["/views.js", join(PUBLIC_DIR, "views.js")],
    ["/style.css", join(PUBLIC_DIR, "style.css")],
    ["/vendor/uPlot.esm.js", join(UPLOT_DIR, "uPlot.esm.js")],
    ["/vendor/uPlot.min.css", join(UPLOT_DIR, "uPlot.min.css")],
  ];
  return new Map(
    files.map(([url, file]) => {
      const ext = file.slice(file.lastIndexOf("."));
      return [url, { body: readFileSync(file), type: TYPES[ext] ?? "application/octet-stream" }];
    }),
  );
}

/**
 * Without a token the page is bound to loopback: a request must also name a loopback host, so a web page elsewhere
 * that re-points its own name at 127.0.0.1 (DNS rebinding) cannot read it through the parent's browser.
 */
async function loopbackHostCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const host = (request.headers.host ?? "").replace(/:\d+$/, "");
  if (isLoopbackHost(host)) return;
  await reply
    .code(421)
    .send({ error: `Expected a loopback host (127.0.0.1, localhost) in Host, got ${JSON.stringify(host)}` });
}

/** The fastify app of the page: the token check (when a token is set), the static files, the API. */
export function buildWebServer(parts: ApiParts, token: string | undefined): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  if (token !== undefined) app.addHook("onRequest", tokenCheck(token));
  else app.addHook("onRequest", loopbackHostCheck);
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(code).send({ error: err.message });
  });
  for (const [url, file] of staticFiles()) {
    app.get(url, (_req, reply) => reply.type(file.type).header("cache-control", "no-cache").send(file.body));
  }
  registerApi(app, parts);
  return app;
}
