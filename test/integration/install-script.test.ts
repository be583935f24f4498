import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PROJECT_ROOT } from "../../src/version.js";

const SCRIPT = join(PROJECT_ROOT, "scripts", "install.sh");

function dryRun(...args: string[]) {
  const r = spawnSync("bash", [SCRIPT, "--dry-run", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("install.sh is valid bash", () => {
  assert.equal(spawnSync("bash", ["-n", SCRIPT]).status, 0);
});

test("--dry-run on a fresh machine prints every step and changes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-install-"));
  const prefix = join(dir, "opt");
  const data = join(dir, "var");
  const etcBefore = existsSync("/etc/babymon");
  const unitBefore = existsSync("/etc/systemd/system/babymon.service");
  const { code, out } = dryRun("--prefix", prefix, "--data-dir", data, "--user", "babymon-test-nobody");
  assert.equal(code, 0, out);
  const commands = out.split("\n").filter((l) => l.startsWith("+ "));
  const expectLine = (re: RegExp, what: string) =>
    assert.ok(
      commands.some((l) => re.test(l)),
      `${what}: no line matching ${re} in\n${commands.join("\n")}`,
    );
  expectLine(new RegExp(`^\\+ rsync -a .* ${PROJECT_ROOT.replace(/\/$/, "")}/ ${prefix}/$`), "copy");
  expectLine(/npm --prefix .* ci /, "npm ci");
  expectLine(/npm --prefix .* run build$/, "build");
  expectLine(/dist\/cli\/main\.js models/, "models");
  expectLine(/^\+ useradd --system .* babymon-test-nobody$/, "user");
  expectLine(/^\+ usermod -a -G audio babymon-test-nobody$/, "audio group");
  expectLine(/^\+ usermod -a -G gpio babymon-test-nobody$/, "gpio group");
  expectLine(
    new RegExp(`^\\+ install -d -m 0750 -o babymon-test-nobody -g babymon-test-nobody ${data}$`),
    "data dir",
  );
  expectLine(/^\+ write \/etc\/systemd\/system\/babymon.service/, "unit");
  expectLine(/^\+ systemctl enable babymon.service$/, "enable");
  assert.match(out, new RegExp(`\\| dataDir: ${data}`), "the default config points at the data dir");
  assert.equal(existsSync(prefix), false);
  assert.equal(existsSync(data), false);
  assert.equal(existsSync("/etc/babymon"), etcBefore);
  assert.equal(existsSync("/etc/systemd/system/babymon.service"), unitBefore);
});

test("--dry-run when things already exist: nothing is created twice", () => {
  const dir = mkdtempSync(join(tmpdir(), "babymon-install-"));
  const data = join(dir, "var");
  mkdirSync(data);
  // root and its data dir exist on every machine: the user and the directory steps must be skipped
  const { code, out } = dryRun(
    "--prefix",
    PROJECT_ROOT,
    "--data-dir",
    data,
    "--user",
    "root",
    "--skip-apt",
    "--no-start",
  );
  assert.equal(code, 0, out);
  assert.match(out, /==> user root exists/);
  assert.match(out, new RegExp(`==> data directory ${data} exists`));
  assert.doesNotMatch(out, /\+ useradd/);
  assert.doesNotMatch(out, /\+ rsync/, "installing in place copies nothing");
  assert.doesNotMatch(out, /apt-get/);
  assert.doesNotMatch(out, /systemctl restart/);
});

test("an unknown option is refused with the usage", () => {
  const { code, err } = dryRun("--frobnicate");
  assert.equal(code, 2);
  assert.match(err, /unknown option --frobnicate/);
  assert.match(err, /--dry-run/);
});
