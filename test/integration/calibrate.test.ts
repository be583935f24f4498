import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import YAML from "yaml";
import { encodeWav } from "../../src/audio/wav.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { concat, isolatedEnv, load16k, SHARED } from "./daemon-support.js";

let dir: string;
let night: string;
const env = { BABYMON_INFERENCE__SCORE_SOURCE: "heads" };
const babymon = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: isolatedEnv({ ...env, ...extra }),
  });
const episodes = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === "episode");

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "babymon-calibrate-"));
  // a "night" of household sounds the heads take for crying at a low threshold: clapping and a rooster
  const clips: Float32Array[] = [];
  for (const cls of ["clapping", "rooster"]) {
    const folder = join(SHARED, "data", "household", cls);
    for (const f of readdirSync(folder)
      .filter((f) => f.endsWith(".wav"))
      .sort())
      clips.push(await load16k(join(folder, f)));
  }
  night = join(dir, "night.wav");
  writeFileSync(night, encodeWav(concat(...clips), 16000));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("babymon calibrate", () => {
  it("raises the threshold until the room's recording raises no episode, and writes it into the config", () => {
    const config = join(dir, "babymon.yaml");
    writeFileSync(
      config,
      "# my nursery\ndetection:\n  threshold: 0.3 # too sensitive\nlogging:\n  level: warn\n",
    );
    const before = babymon(["detect", night, "--jsonl", "--config", config]);
    assert.equal(before.status, 0, before.stderr);
    const falseAlarms = episodes(before.stdout).length;
    assert.ok(falseAlarms > 0, "the recording raises episodes at threshold 0.3");

    const r = babymon(["calibrate", night, "--config", config, "--write"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /budget 0 per hour → at most 0 episode\(s\)/, "the default budget: no episode");
    assert.match(r.stdout, new RegExp(`now \\(threshold 0\\.3, .*\\): ${falseAlarms} episode\\(s\\)`));
    assert.match(r.stdout, /calibrated \(threshold 0\.\d+, .*\): 0 episode\(s\)/);
    assert.match(r.stdout, /wrote detection\.threshold and detection\.onsetStrong to /);

    const text = readFileSync(config, "utf8");
    const written = YAML.parse(text);
    assert.ok(written.detection.threshold > 0.3, `threshold raised: ${written.detection.threshold}`);
    assert.ok(written.detection.onsetStrong > written.detection.threshold);
    assert.equal(written.logging.level, "warn", "other keys kept");
    assert.match(text, /# my nursery/, "comments kept");
    assert.match(text, /threshold: [\d.]+ # babymon calibrate \d{4}-\d\d-\d\d, babymon-heads@/);

    const afterCal = babymon(["detect", night, "--jsonl", "--config", config]);
    assert.equal(afterCal.status, 0, afterCal.stderr);
    assert.deepEqual(
      episodes(afterCal.stdout),
      [],
      "no episode on the same recording with the written config",
    );

    const again = babymon(["calibrate", night, "--config", config]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to change/);
  });

  it("refuses --write without a config file, and names a file it cannot decode", () => {
    const noConfig = babymon(["calibrate", night, "--write"]);
    assert.equal(noConfig.status, 2);
    assert.match(
      noConfig.stderr,
      /Expected `--config FILE` \(or BABYMON_CONFIG\) with `--write`, got neither/,
    );
    const broken = join(dir, "broken.wav");
    writeFileSync(broken, Buffer.from("RIFF\u0000\u0000\u0000\u0000WAVEjunk"));
    const r = babymon(["calibrate", broken]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /broken\.wav/);
    const budget = babymon(["calibrate", night, "--budget", "-1"]);
    assert.equal(budget.status, 2);
    assert.match(budget.stderr, /Expected `--budget` to be a number ≥ 0, got -1/);
  });
});
