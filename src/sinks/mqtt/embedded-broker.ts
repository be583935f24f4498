import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import type { Logger } from "../../logging.js";
import { PermanentStartError, type Service } from "../../service/service.js";

/**
 * A small MQTT broker (aedes) inside the daemon for setups without one: bound to 127.0.0.1 only, so local
 * subscribers (mosquitto_sub, a bridge) can see the events while nothing is exposed on the network.
 */
export class EmbeddedBroker implements Service {
  readonly name = "mqtt-embedded-broker";
  #broker: Aedes | null = null;
  #server: Server | null = null;
  #port: number;
  #external = false;

  constructor(
    port: number,
    private readonly log: Logger,
    readonly host = "127.0.0.1",
  ) {
    this.#port = port;
  }

  /** mqtt://127.0.0.1:<port> — valid after start(). */
  get url(): string {
    return `mqtt://${this.host}:${this.#port}`;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.#port, this.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      await new Promise<void>((r) => broker.close(() => r()));
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") {
        // most likely a broker already runs on this machine: use it rather than fail
        this.#external = true;
        this.log.warn(
          { url: this.url },
          `MQTT: port ${this.#port} on ${this.host} is taken (a local broker?); not starting the embedded broker, connecting to it`,
        );
        return;
      }
      const why = `MQTT: the embedded broker cannot listen on ${this.host}:${this.#port} (${(error as Error).message})`;
      // a privileged port stays privileged while the daemon runs: only another `mqtt.embeddedBroker.port` helps
      if (code === "EACCES") throw new PermanentStartError(`${why}; choose a port above 1023`);
      throw new Error(why);
    }
    const address = server.address();
    if (address && typeof address === "object") this.#port = address.port;
    this.#broker = broker;
    this.#server = server;
    this.log.info(
      { url: this.url },
      "MQTT: no broker configured, started the embedded broker (localhost only)",
    );
  }

  get external(): boolean {
    return this.#external;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const broker = this.#broker;
    this.#server = null;
    this.#broker = null;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
