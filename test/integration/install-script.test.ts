import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
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

describe("--prefix DIR that holds something else is refused (the copy step is rsync --delete)", () => {
  const options = ["--skip-apt", "--skip-models", "--no-start", "--user", "root"];
  const copyLine = (prefix: string) => new RegExp(`^\\+ rsync -a --delete .* ${prefix}/$`, "m");

  function refused(prefix: string, what: RegExp) {
    const { code, out, err } = dryRun("--prefix", prefix, ...options);
    assert.equal(code, 1, `exit code for --prefix ${prefix}\n${out}${err}`);
    assert.match(err, what);
    assert.doesNotMatch(out, /^\+ /m, "refused before any step");
  }

  test("a non-empty directory without the marker: refused, naming the directory and the marker; nothing touched", () => {
    const prefix = mkdtempSync(join(tmpdir(), "babymon-foreign-"));
    writeFileSync(join(prefix, "precious.txt"), "not babymon's\n");
    refused(
      prefix,
      new RegExp(
        `--prefix ${prefix} is not empty and is not a previous babymon install \\(no marker ${prefix}/\\.babymon-install\\)`,
      ),
    );
    assert.deepEqual(readdirSync(prefix), ["precious.txt"]);
  });

  test("--prefix /usr (the issue's example): refused", () => {
    refused("/usr", /--prefix \/usr is not empty and is not a previous babymon install .*rsync --delete/);
  });

  test("a file, not a directory: refused", () => {
    const file = join(mkdtempSync(join(tmpdir(), "babymon-install-")), "a-file");
    writeFileSync(file, "x\n");
    refused(file, new RegExp(`--prefix ${file} exists and is not a directory`));
  });

  test("an empty directory: accepted, copied into and marked", () => {
    const prefix = mkdtempSync(join(tmpdir(), "babymon-empty-"));
    const { code, out, err } = dryRun("--prefix", prefix, ...options);
    assert.equal(code, 0, out + err);
    assert.match(out, copyLine(prefix));
    assert.match(out, /--exclude \/\.babymon-install /, "the copy keeps the marker");
    assert.match(
      out,
      new RegExp(`^\\+ write ${prefix}/\\.babymon-install: babymon \\d+\\.\\d+\\.\\d+ installed from`, "m"),
    );
  });

  test("a previous install (the marker is there): accepted", () => {
    const prefix = mkdtempSync(join(tmpdir(), "babymon-previous-"));
    writeFileSync(join(prefix, ".babymon-install"), "babymon 0.1.0 installed by scripts/install.sh\n");
    mkdirSync(join(prefix, "src"));
    const { code, out, err } = dryRun("--prefix", prefix, ...options);
    assert.equal(code, 0, out + err);
    assert.match(out, copyLine(prefix));
  });

  test("an install from before the marker (babymon's package.json is there): accepted", () => {
    const prefix = mkdtempSync(join(tmpdir(), "babymon-legacy-"));
    writeFileSync(join(prefix, "package.json"), '{\n  "name": "babymon",\n  "version": "0.0.9"\n}\n');
    const { code, out, err } = dryRun("--prefix", prefix, ...options);
    assert.equal(code, 0, out + err);
    assert.match(out, copyLine(prefix));
  });
});
