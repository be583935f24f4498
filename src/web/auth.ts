import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

export const TOKEN_COOKIE = "babymon_token";

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** The token a request carries: `Authorization: Bearer …`, `?token=…` (how a page is first opened), or the cookie. */
export function requestToken(request: FastifyRequest): { token: string | undefined; fromQuery: boolean } {
  const auth = request.headers.authorization;
  if (auth?.startsWith("Bearer ")) return { token: auth.slice(7), fromQuery: false };
  const query = (request.query as Record<string, unknown> | undefined)?.token;
  if (typeof query === "string") return { token: query, fromQuery: true };
  return { token: cookieToken(request.headers.cookie), fromQuery: false };
}

const LOGIN_PAGE = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>babymon</title><body style="background:#0d1117;color:#e6edf3;font:20px system-ui;padding:2em">
<form method="get" action="/"><p>This babymon page needs its token (<code>web.token</code>).</p>
<input name="token" type="password" autofocus style="font-size:1em"> <button>Open</button></form>`;

/**
 * The hook that asks every request (page, API, streams, metrics) for `token`. A page opened with `?token=` gets a
 * cookie (HttpOnly, SameSite=Strict), so its own assets, API calls and event stream carry it. Without the right
 * token: 401 and no data (a page request gets a form asking for the token).
 */
export function tokenCheck(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = requestToken(request);
    if (given.token !== undefined && same(given.token, token)) {
      if (given.fromQuery) {
        reply.header(
          "set-cookie",
          `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`,
        );
      }
      return;
    }
    reply.header("www-authenticate", 'Bearer realm="babymon"');
    const wantsPage = request.method === "GET" && (request.url === "/" || request.url.startsWith("/?"));
    if (wantsPage) await reply.code(401).type("text/html; charset=utf-8").send(LOGIN_PAGE);
    else
      await reply.code(401).send({
        error:
          "Expected the token of `web.token` (Authorization: Bearer, ?token= or the page's cookie), got none or a wrong one",
      });
  };
}
