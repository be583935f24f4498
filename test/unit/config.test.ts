import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, resolveDataDir } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "babymon-config-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail("expected a ConfigError");
}

describe("config", () => {
  it("has working defaults with no file and no environment", () => {
    const { config } = loadConfig({ env: {} });
    assert.equal(config.audio.source, "auto");
    assert.equal(config.audio.device, "default");
    assert.equal(config.windows.hopSec, 0.48);
    assert.equal(config.windows.gate.enabled, false);
    assert.equal(config.storage.clips.enabled, false, "no audio stored by default");
    assert.equal(config.storage.windowLog.enabled, true);
  });

  it("maps BABYMON_A__B_C to a.bC", () => {
    const env = {
      BABYMON_DETECTION__ONSET_K: "2",
      BABYMON_WINDOWS__GATE__FLOOR_DBFS: "-55",
      BABYMON_STORAGE__WINDOW_LOG__RETENTION_DAYS: "3",
      BABYMON_DATA_DIR: "/srv/babymon",
      BABYMON_YAMNET_TFLITE: "/x.tflite",
    };
    const { config, origins } = loadConfig({ env });
    assert.equal(config.detection.onsetK, 2);
    assert.equal(config.windows.gate.floorDbfs, -55);
    assert.equal(config.storage.windowLog.retentionDays, 3);
    assert.equal(config.dataDir, "/srv/babymon");
    assert.deepEqual(origins, {
      "detection.onsetK": "BABYMON_DETECTION__ONSET_K",
      "windows.gate.floorDbfs": "BABYMON_WINDOWS__GATE__FLOOR_DBFS",
      "storage.windowLog.retentionDays": "BABYMON_STORAGE__WINDOW_LOG__RETENTION_DAYS",
      dataDir: "BABYMON_DATA_DIR",
    });
    // a variable without __ (other than BABYMON_DATA_DIR) is not config: not an unknown key either
    assert.equal(Object.keys(config).includes("yamnetTflite"), false);
  });

  it("applies file, then environment, then overrides", () => {
    const f = file("ok.yaml", "detection:\n  threshold: 0.3\n  holdSec: 4\naudio:\n  device: hw:1,0\n");
    const { config, origins } = loadConfig({
      file: f,
      env: { BABYMON_DETECTION__THRESHOLD: "0.6", BABYMON_AUDIO__DEVICE: "1234" },
      overrides: { "detection.holdSec": 8 },
    });
    assert.equal(config.detection.threshold, 0.6);
    assert.equal(config.detection.holdSec, 8);
    assert.equal(
      config.audio.device,
      "1234",
      "a numeric-looking env value is kept as a string where one is expected",
    );
    assert.equal(origins["detection.threshold"], "BABYMON_DETECTION__THRESHOLD");
    assert.equal(origins["detection.holdSec"], "command line");
  });

  it("names the key, the value, what is allowed and where it came from", () => {
    const e1 = errorOf(() => loadConfig({ env: { BABYMON_AUDIO__SOURCE: "radio" } }));
    assert.match(
      e1.message,
      /`audio\.source` to be one of "auto", "mic", "file", "stdin", "url", got "radio" \(from BABYMON_AUDIO__SOURCE\)/,
    );
    const f = file("bad.yaml", "detection:\n  onsetK: 4\n  onsetN: 3\nwindows:\n  hopSec: 2\n");
    const e2 = errorOf(() => loadConfig({ file: f, env: {} }));
    assert.match(
      e2.message,
      /`windows\.hopSec` to be a number between 0\.1 and 0\.96, got 2 \(from .*bad\.yaml\)/,
    );
    assert.match(e2.message, /`detection\.onsetK` to be at most `detection\.onsetN`, got 4/);
    const e3 = errorOf(() => loadConfig({ env: { BABYMON_DETECTION__TRESHOLD: "0.5" } }));
    assert.match(
      e3.message,
      /Unknown key `detection\.treshold`.*allowed keys in `detection`: enabled, threshold/,
    );
    const e4 = errorOf(() => loadConfig({ env: { BABYMON_DETECTION__ONSET_K: "1.5" } }));
    assert.match(e4.message, /`detection\.onsetK` to be an integer between 1 and 20, got 1\.5/);
  });

  it("refuses a file that is not a mapping", () => {
    const e = errorOf(() => loadConfig({ file: file("list.yaml", "- a\n- b\n"), env: {} }));
    assert.match(e.message, /must hold a mapping/);
  });

  it("resolves the data directory from config (file or BABYMON_DATA_DIR), then XDG/home", () => {
    assert.equal(resolveDataDir({ dataDir: "/srv/x" }, {}), "/srv/x");
    const { config } = loadConfig({ env: { BABYMON_DATA_DIR: "/var/tmp/b" } });
    assert.equal(resolveDataDir(config, {}), "/var/tmp/b");
    assert.equal(
      resolveDataDir({ dataDir: null }, { XDG_DATA_HOME: "/home/u/.data" }),
      "/home/u/.data/babymon",
    );
  });
  it("names YAML's .nan and .inf as written, not as null", () => {
    const nan = errorOf(() =>
      loadConfig({ file: file("nan.yaml", "detection:\n  threshold: .nan\n"), env: {} }),
    );
    assert.match(
      nan.message,
      /`detection\.threshold` to be a number between 0 and 1.*got \.nan \(not a finite number\)/,
    );
    assert.doesNotMatch(nan.message, /got null/);
    const inf = errorOf(() => loadConfig({ env: { BABYMON_DETECTION__THRESHOLD: "-.inf" } }));
    assert.match(inf.message, /got -\.inf \(not a finite number\) \(from BABYMON_DETECTION__THRESHOLD\)/);
  });

  it("a bad mqtt.url: says what a broker URL looks like and what was given, password hidden", () => {
    const err = errorOf(() =>
      loadConfig({ file: file("url.yaml", "mqtt:\n  url: http://me:hunter2@broker\n"), env: {} }),
    );
    assert.match(
      err.message,
      /`mqtt\.url` to be a broker URL with a host: mqtt:\/\/host:1883, mqtts:\/\/host:8883, ws:\/\/.*wss:\/\//,
    );
    assert.match(err.message, /got "http:\/\/me:\*\*\*@broker" \(from .*url\.yaml\)/);
    assert.doesNotMatch(err.message, /hunter2|non-empty string/);
  });

  it("takes a password from the environment verbatim (quotes, digits, YAML-looking text)", () => {
    for (const password of ['"quoted"', "'single'", "1234", "true", "[a, b]", "# not a comment"]) {
      const { config } = loadConfig({ env: { BABYMON_MQTT__PASSWORD: password } });
      assert.equal(config.mqtt.password, password);
    }
    assert.equal(loadConfig({ env: { BABYMON_AUDIO__INPUT: "null" } }).config.audio.input, null);
  });

  it("names a config path that is a directory, and where it was named", () => {
    const err = errorOf(() => loadConfig({ file: dir, fileOrigin: "BABYMON_CONFIG", env: {} }));
    assert.match(
      err.message,
      new RegExp(`${dir} \\(from BABYMON_CONFIG\\) is a directory, expected a YAML file`),
    );
  });
});
