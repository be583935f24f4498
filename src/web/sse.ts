import type { ServerResponse } from "node:http";

/** How often an open stream gets a comment line, so proxies and phones keep it open. */
const KEEPALIVE_MS = 20_000;

/**
 * Server-Sent Events to the open pages. With no page open it holds no timer and `send` returns at once without
 * serialising anything: the daemon does no work for a page nobody looks at.
 */
export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  #keepalive: NodeJS.Timeout | null = null;

  get size(): number {
    return this.#clients.size;
  }

  /** Takes over a response as an event stream; `first` events are sent to it alone at once. */
  add(res: ServerResponse, first: Array<[string, unknown]>): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    for (const [event, data] of first) res.write(frame(event, data));
    this.#clients.add(res);
    res.on("close", () => this.#remove(res));
    if (!this.#keepalive) {
      this.#keepalive = setInterval(() => {
        for (const c of this.#clients) c.write(": keepalive\n\n");
      }, KEEPALIVE_MS);
      this.#keepalive.unref();
    }
  }

  send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const text = frame(event, data);
    for (const c of this.#clients) c.write(text);
  }

  #remove(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0 && this.#keepalive) {
      clearInterval(this.#keepalive);
      this.#keepalive = null;
    }
  }

  close(): void {
    for (const c of this.#clients) c.end();
    this.#clients.clear();
    if (this.#keepalive) clearInterval(this.#keepalive);
    this.#keepalive = null;
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
