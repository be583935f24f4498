import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** The login the embedded broker requires (generated once, kept in the data directory). */
export interface BrokerCredentials {
  username: string;
  password: string;
  /** ISO time the password was generated. */
  created: string;
}

export const BROKER_CREDENTIALS_FILE = "mqtt-credentials.json";
export const BROKER_USERNAME = "babymon";

export function brokerCredentialsPath(dataDir: string): string {
  return join(dataDir, BROKER_CREDENTIALS_FILE);
}

/** The file does not exist yet: the embedded broker writes it at its first start. */
export class NoBrokerCredentialsError extends Error {}

function whoAmI(): string {
  return process.getuid ? `uid ${process.getuid()}` : "this user";
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, "0")}`;

/**
 * Reads the embedded broker's credentials file, refusing one that other users may read (it holds the broker
 * password) or that is not what babymon wrote. Throws NoBrokerCredentialsError when there is none.
 */
export function readBrokerCredentials(path: string): BrokerCredentials {
  const what = `the embedded MQTT broker's credentials file ${path}`;
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new NoBrokerCredentialsError(
        `${what} does not exist yet: the embedded broker generates it at its first start`,
      );
    }
    throw new Error(`Cannot examine ${what} (${code ?? (error as Error).message}), as ${whoAmI()}`);
  }
  if (!stat.isFile()) {
    throw new Error(`Expected ${what} to be a regular file written by babymon, got a ${kindOf(stat)}`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new Error(
      `Expected ${what} to have mode 0600 (it holds the broker password; only its owner may read it), ` +
        `got ${octal(stat.mode)}: chmod 600 ${path}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(
      `Cannot read ${what} as ${whoAmI()} (${code}; the file belongs to uid ${stat.uid}): it must belong to ` +
        `the user babymon runs as (chown babymon: ${path}), or run this as that user (sudo -u babymon …)`,
    );
  }
  const parsed = parseCredentials(text);
  if (!parsed) {
    throw new Error(
      `Expected ${what} to hold {"username": "…", "password": "…"} as babymon writes it, got ` +
        `${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? "…" : ""}; babymon never overwrites it: ` +
        "delete it to have a new password generated at the next start (then give Home Assistant the new one)",
    );
  }
  return parsed;
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symbolic link";
  return "special file";
}

function parseCredentials(text: string): BrokerCredentials | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { username, password, created } = value as Record<string, unknown>;
  if (typeof username !== "string" || username === "") return null;
  if (typeof password !== "string" || password.length < 16) return null;
  return { username, password, created: typeof created === "string" ? created : "unknown" };
}

/**
 * The embedded broker's credentials: those in `path`, or (no file yet) a new random password written there with
 * mode 0600. An existing file is never replaced, whatever is wrong with it: the error says what to do.
 */
export function loadOrCreateBrokerCredentials(
  path: string,
  now: () => Date = () => new Date(),
): { credentials: BrokerCredentials; created: boolean } {
  try {
    return { credentials: readBrokerCredentials(path), created: false };
  } catch (error) {
    if (!(error instanceof NoBrokerCredentialsError)) throw error;
  }
  const credentials: BrokerCredentials = {
    username: BROKER_USERNAME,
    password: randomBytes(24).toString("base64url"),
    created: now().toISOString(),
  };
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new Error(
      `Cannot create the data directory ${dirname(path)} for ${BROKER_CREDENTIALS_FILE} as ${whoAmI()} ` +
        `(${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  // written whole into a temporary name, then linked: link() refuses to replace a file another start wrote meanwhile
  const temporary = `${path}.${process.pid}.tmp`;
  removeIfThere(temporary); // left by a start that died here with the same pid
  try {
    const fd = openSync(temporary, "wx", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(credentials, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return { credentials: readBrokerCredentials(path), created: false };
    throw new Error(
      `Cannot write the embedded MQTT broker's credentials file ${path} as ${whoAmI()} (${code ?? (error as Error).message})`,
    );
  } finally {
    removeIfThere(temporary);
  }
  return { credentials, created: true };
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}
