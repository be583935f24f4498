import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";

/** What a user sees: the built CLI (`npm run build` first), its stderr and exit code. */
const CLI = join(PROJECT_ROOT, "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "babymon-cli-errors-"));
chmodSync(dir, 0o755);

function babymon(args: string[], env: Record<string, string> = {}, asUser?: number) {
  const argv = ["node", CLI, ...args];
  const cmd =
    asUser === undefined
      ? argv
      : ["setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", ...argv];
  const r = spawnSync(cmd[0], cmd.slice(1), {
    env: envWithoutBabymon(env),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
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
});
