import { timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:net";
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from "aedes";
import { type Logger, RepeatLimiter } from "../../logging.js";
import { PermanentStartError, type Service } from "../../service/service.js";
import { type BrokerCredentials, loadOrCreateBrokerCredentials } from "./broker-credentials.js";

/** MQTT 3.1.1 CONNACK codes: 4 bad user name or password, 5 not authorised. */
const BAD_LOGIN = 4;
const NOT_AUTHORISED = 5;

function sameSecret(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected, "utf8");
  return given.length === want.length && timingSafeEqual(given, want);
}

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * A small MQTT broker (aedes) inside the daemon for setups without one: bound to 127.0.0.1 only, and only
 * clients that log in with the password generated on first start (`credentialsFile`, mode 0600 in the data
 * directory) may connect, so no other local user can switch detection off or delete Home Assistant's discovery.
 */
export class EmbeddedBroker implements Service {
  readonly name = "mqtt-embedded-broker";
  #broker: Aedes | null = null;
  #server: Server | null = null;
  #port: number;
  #external = false;
  #credentials: BrokerCredentials | null = null;
  /** Clients that logged in: publishing and subscribing are for them only. */
  #loggedIn = new WeakSet<Client>();
  readonly #refusals = new RepeatLimiter();

  constructor(
    port: number,
    private readonly log: Logger,
    /** Where the generated login is kept (brokerCredentialsPath(dataDir)). */
    readonly credentialsFile: string,
    readonly host = "127.0.0.1",
  ) {
    this.#port = port;
  }

  /** mqtt://127.0.0.1:<port> — valid after start(). */
  get url(): string {
    return `mqtt://${this.host}:${this.#port}`;
  }

  /**
   * The login for the daemon's own client after start(); undefined when another broker held the port (that
   * broker's own users apply, and this password is not handed to it).
   */
  get clientCredentials(): { username: string; password: string } | undefined {
    const c = this.#credentials;
    return c && !this.#external ? { username: c.username, password: c.password } : undefined;
  }

  async start(): Promise<void> {
    const { credentials, created } = loadOrCreateBrokerCredentials(this.credentialsFile);
    if (created) {
      this.log.info(
        { file: this.credentialsFile },
        `MQTT: generated the embedded broker's password in ${this.credentialsFile} (mode 0600); ` +
          "`babymon check-config --show-mqtt-credentials` shows it, for Home Assistant or mosquitto_sub",
      );
    }
    this.#credentials = credentials;
    const broker = await Aedes.createBroker(this.#access(credentials));
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
          `MQTT: port ${this.#port} on ${this.host} is taken (a local broker?); not starting the embedded broker, ` +
            "connecting to it with mqtt.username/password, if any (not the embedded broker's password)",
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
      { url: this.url, username: credentials.username, credentialsFile: this.credentialsFile },
      "MQTT: no broker configured, started the embedded broker (localhost only, login required)",
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

  /** Login required for every client; publish and subscribe only after it (so commands and discovery too). */
  #access(credentials: BrokerCredentials): AedesOptions {
    return {
      authenticate: (client, username, password, done) => {
        if (username === undefined || password === undefined) {
          this.#refused(client, "no user name or password");
          done(refusal("a user name and password are required", NOT_AUTHORISED), false);
          return;
        }
        if (username !== credentials.username || !sameSecret(password, credentials.password)) {
          this.#refused(client, `bad user name or password (user ${JSON.stringify(username)})`);
          done(refusal("bad user name or password", BAD_LOGIN), false);
          return;
        }
        this.#loggedIn.add(client);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        // client null: the broker's own messages (a will is published with its client)
        if (client && !this.#loggedIn.has(client)) {
          done(new Error(`publishing to ${packet.topic} needs the broker login`));
          return;
        }
        if (packet.topic.startsWith("$SYS/")) {
          done(new Error("$SYS/ topics are the broker's own"));
          return;
        }
        done(null);
      },
      authorizeSubscribe: (client, subscription, done) => {
        if (!this.#loggedIn.has(client)) {
          done(new Error(`subscribing to ${subscription.topic} needs the broker login`), null);
          return;
        }
        done(null, subscription);
      },
    };
  }

  /** A refused login, logged at most once a minute (with how many since), so a client looping on it cannot flood the log. */
  #refused(client: Client, why: string): void {
    const logged = this.#refusals.pass("refused");
    if (!logged) return;
    this.log.warn(
      { clientId: client.id, refused: logged.repeats + 1 },
      `MQTT: the embedded broker refused a client (${why}); its login is in ${this.credentialsFile} ` +
        "(babymon check-config --show-mqtt-credentials)",
    );
  }
}
