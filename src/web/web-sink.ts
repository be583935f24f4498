import type { FastifyInstance } from "fastify";
import type { DetectionControl } from "../control/detection-control.js";
import type { FaultBoard } from "../control/faults.js";
import type { BabymonEvent } from "../events.js";
import type { FeedbackTarget } from "../learning/feedback-command.js";
import type { Logger } from "../logging.js";
import { PermanentStartError } from "../service/service.js";
import type { Sink } from "../sinks/sink.js";
import type { Db } from "../sinks/sqlite/database.js";
import type { WebConfig } from "./config.js";
import { ListenHub } from "./listen.js";
import type { LiveState } from "./live-state.js";
import type { WebMetrics } from "./metrics.js";
import { buildWebServer } from "./server.js";
import { SseHub } from "./sse.js";

export interface WebSinkOptions {
  config: WebConfig;
  state: LiveState;
  metrics: WebMetrics;
  control: DetectionControl;
  faults: FaultBoard;
  database: Db | null;
  feedback: FeedbackTarget;
  logger: Logger;
}

/**
 * The local page (src/web/public), its API and /metrics, as a sink: it sees the events every sink sees, behind its
 * own queue, so neither a slow page nor a scrape touches the audio path. What it pushes goes only to open pages.
 */
export class WebSink implements Sink {
  readonly name = "web";
  readonly hub = new SseHub();
  readonly listen: ListenHub | null;
  #app: FastifyInstance | null = null;
  #unsubscribe: Array<() => void> = [];
  /** The address it listens on, once started (port 0 in the config: the one the system chose). */
  address: { host: string; port: number } | null = null;

  constructor(private readonly o: WebSinkOptions) {
    this.listen = o.config.listen ? new ListenHub() : null;
  }

  async start(): Promise<void> {
    const { config, logger } = this.o;
    const app = buildWebServer(
      {
        state: this.o.state,
        metrics: this.o.metrics,
        hub: this.hub,
        listen: this.listen,
        control: this.o.control,
        database: this.o.database,
        feedback: this.o.feedback,
        logger,
      },
      config.token,
    );
    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (err) {
      await app.close();
      const e = err as NodeJS.ErrnoException;
      const what = `the page could not listen on ${config.host}:${config.port} (\`web.host\`, \`web.port\`): ${e.message}`;
      // a privileged port or an address this machine does not have: retrying will not help
      if (e.code === "EACCES" || e.code === "EADDRNOTAVAIL") throw new PermanentStartError(what);
      throw new Error(what);
    }
    this.#app = app;
    const bound = app.server.address();
    this.address = typeof bound === "object" && bound ? { host: config.host, port: bound.port } : null;
    const pushStatus = () => this.hub.send("status", this.o.state.status());
    this.#unsubscribe.push(this.o.control.onChange(pushStatus));
    let replaying = true;
    this.#unsubscribe.push(
      this.o.faults.subscribe(() => {
        if (!replaying) pushStatus();
      }),
    );
    replaying = false;
    logger.info(
      {
        url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${this.address?.port}/`,
        token: config.token !== undefined,
        listen: config.listen,
      },
      "web page listening",
    );
  }

  async handle(event: BabymonEvent): Promise<void> {
    this.o.metrics.apply(event);
    const point = this.o.state.apply(event);
    if (this.hub.size === 0) return;
    if (point) this.hub.send("tick", { point, status: this.o.state.status() });
    else if (event.type.startsWith("episode_") || event.type === "capture") {
      this.hub.send("episode", { type: event.type });
      this.hub.send("status", this.o.state.status());
    }
  }

  audio(samples: Float32Array): void {
    this.listen?.audio(samples);
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.hub.close();
    this.listen?.close();
    await this.#app?.close();
    this.#app = null;
  }
}
