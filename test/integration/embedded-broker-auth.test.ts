import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import mqtt from "mqtt";
import pino from "pino";
import { encodeWav } from "../../src/audio/wav.js";
import { brokerCredentialsPath } from "../../src/sinks/mqtt/broker-credentials.js";
import { EmbeddedBroker } from "../../src/sinks/mqtt/embedded-broker.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { toolOrSkip } from "../support/tools.js";
import { Daemon, isolatedEnv, quiet } from "./daemon-support.js";
import { freePort, RecordingSubscriber } from "./mqtt-support.js";

/**
 * The embedded broker (no mqtt.url) with real clients: mosquitto_pub/mosquitto_sub (mosquitto-clients) and
 * mqtt.js against the real daemon. Without the generated login nothing connects, so nothing can switch detection
 * off or delete Home Assistant's discovery; with it, commands work; the login survives a restart.
 */
const dir = mkdtempSync(join(tmpdir(), "babymon-broker-auth-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const silent = pino({ level: "silent" });
const T = "babymon/nursery";
/** HA device-based discovery: one retained config for the whole device, the crying sensor among its components */
const CRYING_CONFIG = "homeassistant/device/nursery/config";

const wav = join(dir, "quiet.wav");
writeFileSync(wav, encodeWav(quiet(90), 16000)); // keeps the daemon running (real time) while the test looks

function daemonEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env = isolatedEnv({ BABYMON_DATA_DIR: dataDir });
  env.BABYMON_MQTT__ENABLED = "true";
  env.BABYMON_MQTT__DEVICE_ID = "nursery";
  env.BABYMON_MQTT__EMBEDDED_BROKER__PORT = String(port);
  return env;
}

function mosquitto(tool: "mosquitto_pub" | "mosquitto_sub", args: string[]) {
  const r = spawnSync(tool, args, { encoding: "utf8", timeout: 10_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function startDaemon(dataDir: string, port: number): Promise<Daemon> {
  const daemon = new Daemon(["run", "--input", wav], daemonEnv(dataDir, port));
  await daemon.waitFor((l) => l.msg === "MQTT: connected", 60_000, 1, "the daemon's client connected");
  return daemon;
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  daemon.child.kill("SIGTERM");
  const { code } = await daemon.exited;
  assert.equal(code, 0, `clean exit: ${daemon.stderr}\n${daemon.tail()}`);
}

/** The latest retained `state` as a logged-in subscriber sees it. */
async function detectionEnabled(port: number, login: { username: string; password: string }) {
  const sub = new RecordingSubscriber(`mqtt://127.0.0.1:${port}`, [`${T}/state`], login);
  await sub.start();
  try {
    await sub.waitFor((m) => m.length > 0, 5000, "the retained state");
    return (JSON.parse(sub.on(`${T}/state`).at(-1)!.payload) as { detection_enabled: boolean })
      .detection_enabled;
  } finally {
    await sub.stop();
  }
}

async function stateBecomes(port: number, login: { username: string; password: string }, enabled: boolean) {
  const deadline = Date.now() + 10_000;
  while ((await detectionEnabled(port, login)) !== enabled) {
    if (Date.now() > deadline) throw new Error(`detection_enabled did not become ${enabled} within 10 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("embedded broker: no login, no command; the generated login works, is 0600, and survives a restart", {
  timeout: 180_000,
}, async (t) => {
  if (toolOrSkip(t, "mosquitto_pub", "mosquitto_sub")) return;
  const data = join(dir, "daemon");
  const port = await freePort();
  const file = brokerCredentialsPath(data);
  let daemon = await startDaemon(data, port);
  try {
    assert.equal(statSync(file).mode & 0o777, 0o600, "the credentials file is 0600");
    const login = JSON.parse(readFileSync(file, "utf8")) as { username: string; password: string };
    assert.equal(login.username, "babymon");
    assert.ok(login.password.length >= 32, `a long random password, got ${login.password.length} characters`);
    const server = ["-h", "127.0.0.1", "-p", String(port)];
    const auth = ["-u", login.username, "-P", login.password];

    assert.equal(await detectionEnabled(port, login), true);
    const anonymous = mosquitto("mosquitto_pub", [...server, "-t", `${T}/set/detection`, "-m", "OFF"]);
    assert.notEqual(anonymous.status, 0, anonymous.output);
    assert.match(anonymous.output, /Connection Refused: not authori[sz]ed/);
    const wrong = mosquitto("mosquitto_pub", [
      ...server,
      ...["-u", "babymon", "-P", "not-the-password"],
      ...["-t", `${T}/set/detection`, "-m", "OFF"],
    ]);
    assert.notEqual(wrong.status, 0, wrong.output);
    assert.match(wrong.output, /bad user name or password/);
    // deleting HA's discovery: an empty retained config
    const deletion = mosquitto("mosquitto_pub", [...server, "-t", CRYING_CONFIG, "-r", "-n"]);
    assert.notEqual(deletion.status, 0, deletion.output);
    const anonymousSub = mosquitto("mosquitto_sub", [...server, "-t", `${T}/#`, "-C", "1", "-W", "3"]);
    assert.notEqual(anonymousSub.status, 0, "an anonymous subscriber is refused too");
    await assert.rejects(
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000 }),
      (error: Error & { code?: number }) => error.code === 5,
      "mqtt.js without a login: CONNACK 5 (not authorised)",
    );

    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await detectionEnabled(port, login), true, "the refused OFF changed nothing");
    const retained = mosquitto("mosquitto_sub", [
      ...server,
      ...auth,
      "-t",
      CRYING_CONFIG,
      "-C",
      "1",
      "-W",
      "5",
    ]);
    assert.equal(retained.status, 0, `discovery still retained: ${retained.output}`);
    assert.match(retained.output, /"device_class":"sound"/);
    const applied = () => daemon.lines.filter((l) => l.msg === "MQTT: applied a command").length;
    assert.equal(applied(), 0, "no command reached the daemon");

    const off = mosquitto("mosquitto_pub", [...server, ...auth, "-t", `${T}/set/detection`, "-m", "OFF"]);
    assert.equal(off.status, 0, off.output);
    await stateBecomes(port, login, false);
    assert.equal(applied(), 1);

    // what check-config prints is a working command: run its mosquitto_pub line as printed
    const shown = new Daemon(["check-config", "--show-mqtt-credentials"], daemonEnv(data, port));
    assert.equal((await shown.exited).code, 0, shown.stderr);
    const printed = shown.lines.map((l) => l.msg);
    assert.ok(printed.includes(`  password: ${login.password}`), printed.join("\n"));
    assert.ok(printed.includes(`  port:     ${port}`), printed.join("\n"));
    const pub = printed.find((l) => l.trim().startsWith("mosquitto_pub"));
    assert.ok(pub, printed.join("\n"));
    const on = spawnSync("sh", ["-c", pub], { encoding: "utf8", timeout: 10_000 });
    assert.equal(on.status, 0, `${pub}: ${on.stderr}`);
    await stateBecomes(port, login, true);

    await stopDaemon(daemon);
    const before = { text: readFileSync(file, "utf8"), ino: statSync(file).ino };
    daemon = await startDaemon(data, port);
    assert.deepEqual({ text: readFileSync(file, "utf8"), ino: statSync(file).ino }, before, "not rewritten");
    assert.equal(await detectionEnabled(port, login), true, "the same password after the restart");
    assert.ok(!daemon.lines.some((l) => l.msg.includes("generated the embedded broker's password")));
  } finally {
    if (daemon.child.exitCode === null) await stopDaemon(daemon);
  }
});

describe("a credentials file babymon cannot trust is refused, named, and left as it is", () => {
  const valid = `${JSON.stringify({ username: "babymon", password: "x".repeat(32), created: "2026-01-01" })}\n`;
  const start = (path: string) => new EmbeddedBroker(0, silent, path).start();

  test("readable by others (0644): chmod 600 is the fix", async () => {
    const data = join(dir, "mode");
    mkdirSync(data);
    const path = brokerCredentialsPath(data);
    writeFileSync(path, valid, { mode: 0o644 });
    chmodSync(path, 0o644);
    await assert.rejects(start(path), {
      message: `Expected the embedded MQTT broker's credentials file ${path} to have mode 0600 (it holds the broker password; only its owner may read it), got 0644: chmod 600 ${path}`,
    });
    assert.equal(readFileSync(path, "utf8"), valid);
    chmodSync(path, 0o600);
    const broker = new EmbeddedBroker(0, silent, path);
    await broker.start();
    assert.deepEqual(broker.clientCredentials, { username: "babymon", password: "x".repeat(32) });
    await broker.stop();
  });

  test("not JSON babymon wrote: named, never overwritten", async () => {
    const data = join(dir, "garbage");
    mkdirSync(data);
    const path = brokerCredentialsPath(data);
    writeFileSync(path, "hunter2\n", { mode: 0o600 });
    await assert.rejects(
      start(path),
      (e: Error) =>
        e.message.includes(path) &&
        e.message.includes('got "hunter2\\n"') &&
        e.message.includes("delete it to have a new password generated"),
    );
    assert.equal(readFileSync(path, "utf8"), "hunter2\n");
  });

  test("a directory in its place", async () => {
    const data = join(dir, "isdir");
    const path = brokerCredentialsPath(data);
    mkdirSync(path, { recursive: true });
    await assert.rejects(start(path), {
      message: `Expected the embedded MQTT broker's credentials file ${path} to be a regular file written by babymon, got a directory`,
    });
  });

  test("unreadable by the user babymon runs as: says whose it is and what to do", (t) => {
    const data = join(dir, "foreign");
    mkdirSync(data, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const path = brokerCredentialsPath(data);
    writeFileSync(path, valid, { mode: 0o600 });
    const asRoot = process.getuid?.() === 0;
    // as root a 0600 file is always readable: ask as nobody; as anyone else, take the owner's read bit away
    if (asRoot && toolOrSkip(t, "setpriv")) return;
    if (!asRoot) chmodSync(path, 0o200);
    const cli = ["--import", "tsx", join(PROJECT_ROOT, "src/cli/main.ts"), "check-config"];
    const [cmd, args] = asRoot
      ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, ...cli]]
      : [process.execPath, cli];
    const r = spawnSync(cmd, [...args, "--show-mqtt-credentials"], {
      cwd: PROJECT_ROOT,
      env: daemonEnv(data, 1883),
      encoding: "utf8",
    });
    assert.equal(r.status, 1, r.stderr);
    const uid = asRoot ? 65534 : process.getuid?.();
    assert.match(
      r.stderr,
      new RegExp(
        `Cannot read the embedded MQTT broker's credentials file ${path} as uid ${uid} \\(EACCES; the file belongs to uid \\d+\\): it must belong to the user babymon runs as`,
      ),
    );
  });

  test("check-config says why there is no login to show", () => {
    const show = (env: Record<string, string>) => {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", join(PROJECT_ROOT, "src/cli/main.ts"), "check-config", "--show-mqtt-credentials"],
        { cwd: PROJECT_ROOT, env: { ...daemonEnv(join(dir, "none"), 1883), ...env }, encoding: "utf8" },
      );
      return { status: r.status, stderr: r.stderr.trim() };
    };
    assert.deepEqual(show({}), {
      status: 1,
      stderr: `babymon: the embedded MQTT broker's credentials file ${brokerCredentialsPath(join(dir, "none"))} does not exist yet: the embedded broker generates it at its first start (\`babymon run\`, or systemctl start babymon); this looked in dataDir from BABYMON_DATA_DIR: for the service's, run this as its user with its config (sudo -u babymon babymon check-config -c /etc/babymon/babymon.yaml …)`,
    });
    assert.deepEqual(show({ BABYMON_MQTT__URL: "mqtt://ha:secret@192.0.2.1:1883" }), {
      status: 1,
      stderr:
        "babymon: mqtt.url is set to mqtt://ha:***@192.0.2.1:1883 (from BABYMON_MQTT__URL): babymon uses that broker, whose users are configured there (mqtt.username and the password); the embedded broker does not run",
    });
  });
});
