import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";

/** What a user sees: the built CLI (`npm run build` first), its stderr and exit code. */
const CLI = join(PROJECT_ROOT, "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "babymon-cli-errors-"));
chmodSync(dir, 0o755);

function babymon(args: string[], env: Record<string, string> = {}, asUser?: number, input?: Buffer) {
  const argv = ["node", CLI, ...args];
  const cmd =
    asUser === undefined
      ? argv
      : ["setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", ...argv];
  const r = spawnSync(cmd[0], cmd.slice(1), {
    env: envWithoutBabymon(env),
    encoding: "utf8",
    input,
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Root writes anywhere: permission cases run the CLI as nobody then. */
const UNPRIVILEGED = process.getuid?.() === 0 ? 65534 : undefined;
const NO_SINKS = { BABYMON_MQTT__ENABLED: "false", BABYMON_GPIO__ENABLED: "false" };

/** A new directory under the test's folder with exactly `mode` (chmod: the umask does not apply). */
function dirWithMode(name: string, mode: number): string {
  const path = join(dir, name);
  mkdirSync(path);
  chmodSync(path, mode);
  return path;
}

describe("babymon CLI: clear errors", () => {
  it("a config path that is a directory: says so, with the path and --config or BABYMON_CONFIG", () => {
    const cfgDir = join(dir, "config.yaml");
    mkdirSync(cfgDir);
    const viaFlag = babymon(["check-config", "--config", cfgDir]);
    assert.equal(viaFlag.code, 2);
    assert.match(viaFlag.stderr, new RegExp(`${cfgDir} \\(from --config\\) is a directory`));
    assert.doesNotMatch(viaFlag.stderr, /YAML:|EISDIR: illegal/);
    const viaEnv = babymon(["check-config"], { BABYMON_CONFIG: cfgDir });
    assert.equal(viaEnv.code, 2);
    assert.match(viaEnv.stderr, new RegExp(`${cfgDir} \\(from BABYMON_CONFIG\\) is a directory`));
  });

  it("a config file this user cannot read: says it is not readable (EACCES), not 'not valid YAML'", () => {
    const file = join(dir, "secret.yaml");
    writeFileSync(file, "detection:\n  threshold: 0.5\n");
    chmodSync(file, 0o000);
    // root reads any file: run the CLI as nobody then
    const r = babymon(["check-config", "--config", file], {}, process.getuid?.() === 0 ? 65534 : undefined);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`${file} \\(from --config\\) is not readable by this user \\(EACCES\\)`),
    );
    assert.doesNotMatch(r.stderr, /valid YAML/);
  });
  it("a data directory it cannot write: run names the database, the directory and the reason", () => {
    const readOnly = dirWithMode("ro-data", 0o555);
    const r = babymon(
      ["run", "--input", "/dev/null"],
      { ...NO_SINKS, BABYMON_DATA_DIR: readOnly },
      UNPRIVILEGED,
    );
    assert.notEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(
      out,
      new RegExp(
        `Cannot open the database ${readOnly}/babymon.db: ${readOnly} is not writable by uid \\d+ \\(EACCES\\)`,
      ),
    );
    assert.doesNotMatch(out, /unable to open database file|ENOENT/);

    const under = join(readOnly, "new", "data");
    const missing = babymon(
      ["run", "--input", "/dev/null"],
      { ...NO_SINKS, BABYMON_DATA_DIR: under },
      UNPRIVILEGED,
    );
    assert.match(
      missing.stdout + missing.stderr,
      new RegExp(`${under} does not exist and cannot be created: ${readOnly} is not writable`),
    );

    const aFile = join(dir, "a-file");
    writeFileSync(aFile, "");
    const notDir = babymon(["run", "--input", "/dev/null"], {
      ...NO_SINKS,
      BABYMON_DATA_DIR: join(aFile, "data"),
    });
    assert.match(
      notDir.stdout + notDir.stderr,
      new RegExp(`Cannot open the database .*: ${aFile} is not a directory`),
    );
  });

  it("check-config fails for a data directory it cannot write, with the reason and where it was set", () => {
    const readOnly = dirWithMode("ro-check", 0o555);
    const r = babymon(["check-config"], { BABYMON_DATA_DIR: readOnly }, UNPRIVILEGED);
    assert.equal(r.code, 2, r.stdout);
    assert.doesNotMatch(r.stdout, /config OK/);
    assert.match(
      r.stderr,
      new RegExp(
        `Cannot use the database ${readOnly}/babymon.db \\(dataDir from BABYMON_DATA_DIR\\): ${readOnly} is not writable`,
      ),
    );
    const writable = dirWithMode("rw-check", 0o777);
    const ok = babymon(["check-config"], { BABYMON_DATA_DIR: writable }, UNPRIVILEGED);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /config OK/);
  });

  it("a truncated heads weight file: the error names the file and its expected and actual size", () => {
    const heads = join(dir, "heads");
    cpSync(join(PROJECT_ROOT, "models", "babymon-heads"), heads, { recursive: true });
    const weights = join(heads, "fc-2", "weights.bin");
    const expected = statSync(weights).size;
    truncateSync(weights, 1000);
    const env = { ...NO_SINKS, BABYMON_STORAGE__ENABLED: "false", BABYMON_INFERENCE__HEADS_DIR: heads };
    const r = babymon(["run", "--input", "/dev/null"], { ...env, BABYMON_INFERENCE__SCORE_SOURCE: "heads" });
    assert.match(
      r.stdout + r.stderr,
      new RegExp(
        `Cannot use the heads in ${heads}: ${weights}: expected ${expected} bytes .*got 1000 \\(truncated\\?\\)`,
      ),
    );
  });

  it("a broken YAMNet under scoreSource auto is reported as YAMNet's, not as 'trained heads not usable'", () => {
    const yamnet = join(dir, "yamnet");
    cpSync(join(PROJECT_ROOT, "models", "yamnet"), yamnet, { recursive: true, dereference: true });
    truncateSync(join(yamnet, "weights.bin"), 100_000);
    const r = babymon(["run", "--input", "/dev/null"], {
      ...NO_SINKS,
      BABYMON_STORAGE__ENABLED: "false",
      BABYMON_INFERENCE__SCORE_SOURCE: "auto",
      BABYMON_INFERENCE__YAMNET_DIR: yamnet,
    });
    const out = r.stdout + r.stderr;
    assert.match(out, new RegExp(`YAMNet model folder ${yamnet}: weights.bin has 100000 bytes`));
    assert.doesNotMatch(out, /trained heads not usable/);
  });
  it("a WAV piped to run --input - is refused with a hint (--input FILE or sox); raw PCM still runs", () => {
    const wav = readFileSync(join(PROJECT_ROOT, "..", "shared", "examples", "baby_5000ms.wav"));
    const env = { ...NO_SINKS, BABYMON_STORAGE__ENABLED: "false", BABYMON_INFERENCE__SCORE_SOURCE: "yamnet" };
    const r = babymon(["run", "--input", "-"], env, undefined, wav);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      /stdin holds a WAV file \(RIFF\/WAVE header\).*raw s16le.*--input FILE\.wav.*sox FILE\.wav -t raw/,
    );
    assert.match(r.stdout, /"msg":"input failed"/);
    const raw = babymon(["run", "--input", "-"], env, undefined, wav.subarray(44));
    assert.equal(raw.code, 0, raw.stdout);
    assert.doesNotMatch(raw.stdout, /WAV file/);
  });
});
