import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeWav } from "../../src/audio/wav.js";
import { envWithoutBabymon } from "../support/env.js";
import { Daemon, type LogLine, quiet } from "./daemon-support.js";
import { freePort } from "./mqtt-support.js";

/**
 * `mqtt.tls.rejectUnauthorized: false` turns off the broker's certificate check: `babymon run` says so at every
 * start, naming the key and where it was set, and says nothing when the certificate is checked.
 */
const dir = mkdtempSync(join(tmpdir(), "babymon-tls-warning-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const wav = join(dir, "quiet.wav");
writeFileSync(wav, encodeWav(quiet(2), 16000));

const isTlsWarning = (l: LogLine) => l.msg.includes("mqtt.tls.rejectUnauthorized is false");

/** `babymon run --input quiet.wav` to its end, with a broker URL where nothing listens (the sink retries). */
async function runDaemon(name: string, env: Record<string, string>): Promise<LogLine[]> {
  const daemon = new Daemon(
    ["run", "--input", wav, "--fast"],
    envWithoutBabymon({
      BABYMON_DATA_DIR: join(dir, name),
      BABYMON_INFERENCE__SCORE_SOURCE: "yamnet",
      BABYMON_GPIO__ENABLED: "false",
      BABYMON_WEB__ENABLED: "false",
      BABYMON_MQTT__URL: `mqtts://127.0.0.1:${await freePort()}`,
      ...env,
    }),
  );
  try {
    const { code } = await daemon.exited;
    assert.equal(code, 0, `babymon run exited ${code}: ${daemon.stderr}\n${daemon.tail()}`);
  } finally {
    if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
  }
  assert.ok(
    daemon.lines.some((l) => l.msg === "MQTT: connecting"),
    "the MQTT sink started",
  );
  return daemon.lines;
}

test("rejectUnauthorized false (from the environment): warned at start-up, at every start", async () => {
  const env = { BABYMON_MQTT__TLS__REJECT_UNAUTHORIZED: "false" };
  for (const start of ["first", "second"]) {
    const warnings = (await runDaemon("insecure", env)).filter(isTlsWarning);
    assert.equal(warnings.length, 1, `${start} start: one warning`);
    const [w] = warnings;
    assert.equal(w.level, 40, "a warning");
    assert.match(w.msg, /\(from BABYMON_MQTT__TLS__REJECT_UNAUTHORIZED\)/);
    assert.match(w.msg, /the broker's TLS certificate is not checked/);
    assert.match(w.msg, /mqtts:\/\/127\.0\.0\.1:\d+/, "names the broker");
    assert.match(w.msg, /set mqtt\.tls\.ca/, "says what to do instead");
  }
});

test("rejectUnauthorized false in the config file: the warning names the file", async () => {
  const file = join(dir, "babymon.yaml");
  writeFileSync(file, "mqtt:\n  tls:\n    rejectUnauthorized: false\n");
  const warnings = (await runDaemon("file", { BABYMON_CONFIG: file })).filter(isTlsWarning);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].msg, new RegExp(`\\(from ${file.replace(/[.]/g, "\\.")}\\)`));
});

test("the certificate checked (default, or rejectUnauthorized true): no warning", async () => {
  assert.equal((await runDaemon("default", {})).filter(isTlsWarning).length, 0);
  const explicit = await runDaemon("checked", { BABYMON_MQTT__TLS__REJECT_UNAUTHORIZED: "true" });
  assert.equal(explicit.filter(isTlsWarning).length, 0);
});
