import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";

const CLI = join(PROJECT_ROOT, "src", "cli", "main.ts");
const SECRET = "s3cret-Pa55";

/** `babymon <args>` through the real CLI; its stdout parsed as the printed YAML config. */
function printed(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: PROJECT_ROOT,
    env: envWithoutBabymon(env),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `babymon ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { text: r.stdout, mqtt: (YAML.parse(r.stdout) as { mqtt: Record<string, unknown> }).mqtt };
}

function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "babymon-print-config-"));
  const file = join(dir, "babymon.yaml");
  writeFileSync(file, yaml, { mode: 0o600 });
  return file;
}

for (const command of [["check-config"], ["run"]]) {
  const name = command.join(" ");

  test(`${name} --print-config: mqtt.password from the config file is ***, in clear with --show-secrets`, () => {
    const file = configFile(`mqtt:\n  username: babymon\n  password: ${SECRET}\n`);
    const hidden = printed([...command, "-c", file, "--print-config"]);
    assert.equal(hidden.mqtt.password, "***");
    assert.doesNotMatch(hidden.text, new RegExp(SECRET));
    assert.equal(hidden.mqtt.username, "babymon", "the user name is not a secret");
    const shown = printed([...command, "-c", file, "--print-config", "--show-secrets"]);
    assert.equal(shown.mqtt.password, SECRET);
  });

  test(`${name} --print-config: mqtt.password from BABYMON_MQTT__PASSWORD is ***, in clear with --show-secrets`, () => {
    const env = { BABYMON_MQTT__PASSWORD: SECRET };
    const hidden = printed([...command, "--print-config"], env);
    assert.equal(hidden.mqtt.password, "***");
    assert.doesNotMatch(hidden.text, new RegExp(SECRET));
    assert.equal(printed([...command, "--print-config", "--show-secrets"], env).mqtt.password, SECRET);
  });

  test(`${name} --print-config: credentials in mqtt.url are hidden as user:***, in clear with --show-secrets`, () => {
    const url = `mqtt://babymon:${SECRET}@broker.example:1883`;
    const fromFile = printed([...command, "-c", configFile(`mqtt:\n  url: ${url}\n`), "--print-config"]);
    assert.equal(fromFile.mqtt.url, "mqtt://babymon:***@broker.example:1883");
    assert.doesNotMatch(fromFile.text, new RegExp(SECRET));
    const fromEnv = printed([...command, "--print-config"], { BABYMON_MQTT__URL: url });
    assert.equal(fromEnv.mqtt.url, "mqtt://babymon:***@broker.example:1883");
    assert.equal(
      printed([...command, "--print-config", "--show-secrets"], { BABYMON_MQTT__URL: url }).mqtt.url,
      url,
    );
    const at = printed([...command, "--print-config"], {
      BABYMON_MQTT__URL: `mqtt://babymon:${SECRET}@x@broker.example:1883`,
    });
    assert.equal(at.mqtt.url, "mqtt://babymon:***@broker.example:1883", "an unencoded @ in the password");
    const plain = printed([...command, "--print-config"], {
      BABYMON_MQTT__URL: "mqtt://broker.example:1883",
    });
    assert.equal(plain.mqtt.url, "mqtt://broker.example:1883", "a URL without credentials is unchanged");
  });

  test(`${name} --print-config: a passwordFile's content is never printed, its path is`, () => {
    const passwordFile = configFile(`${SECRET}\n`);
    const file = configFile(`mqtt:\n  username: babymon\n  passwordFile: ${passwordFile}\n`);
    for (const flags of [["--print-config"], ["--print-config", "--show-secrets"]]) {
      const out = printed([...command, "-c", file, ...flags]);
      assert.equal(out.mqtt.passwordFile, passwordFile);
      assert.equal(out.mqtt.password, undefined);
      assert.doesNotMatch(out.text, new RegExp(SECRET));
    }
  });
}

test("run --input rtsp://user:pass@camera --print-config hides the stream's password", () => {
  const url = `rtsp://cam:${SECRET}@192.0.2.7:554/stream1`;
  const r = printed(["run", "--input", url, "--print-config"]);
  assert.doesNotMatch(r.text, new RegExp(SECRET));
  assert.match(r.text, /rtsp:\/\/cam:\*\*\*@192\.0\.2\.7:554\/stream1/);
});
