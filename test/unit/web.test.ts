import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { redactSecrets } from "../../src/config/redact.js";
import { PersistentDetectionControl } from "../../src/control/detection-control.js";
import { FaultBoard } from "../../src/control/faults.js";
import { HealthState } from "../../src/control/health.js";
import { topClasses } from "../../src/detection/listening-pipeline.js";
import type { EpisodeInfo } from "../../src/events.js";
import { isLoopbackHost } from "../../src/web/config.js";
import { LIVE_SPAN_MS, LiveState } from "../../src/web/live-state.js";
import { webPageUrl } from "../../src/web/url.js";

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.join("\n");
  }
  assert.fail("expected a ConfigError");
}

describe("the web slice", () => {
  it("defaults: on, 127.0.0.1:8780, no token, no listen-in", () => {
    const { web } = loadConfig({ env: {} }).config;
    assert.deepEqual(web, { enabled: true, host: "127.0.0.1", port: 8780, listen: false });
  });

  it("loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert.ok(isLoopbackHost(h), h);
    for (const h of ["0.0.0.0", "192.168.1.20", "::", "nursery.local", "128.0.0.1"])
      assert.ok(!isLoopbackHost(h), h);
  });

  it("a non-loopback host or listen-in without a token is refused, naming web.token and why", () => {
    assert.equal(
      configError({ BABYMON_WEB__HOST: "0.0.0.0" }),
      'Expected `web.token` to be a secret (at least one character) when `web.host` ("0.0.0.0") is not a loopback ' +
        "address (set `web.token` or BABYMON_WEB__TOKEN, or bind `web.host` to 127.0.0.1), got nothing",
    );
    assert.match(
      configError({ BABYMON_WEB__LISTEN: "true" }),
      /^Expected `web\.token` .* when `web\.listen` is true/,
    );
    const ok = loadConfig({ env: { BABYMON_WEB__HOST: "0.0.0.0", BABYMON_WEB__TOKEN: "s3cret" } }).config;
    assert.equal(ok.web.token, "s3cret");
    assert.equal(redactSecrets(ok).web.token, "***", "--print-config hides it");
    // the page off: nothing to protect
    loadConfig({ env: { BABYMON_WEB__HOST: "0.0.0.0", BABYMON_WEB__ENABLED: "false" } });
  });

  it("the page's URL for Home Assistant: null on loopback or off, the LAN address for a wildcard bind", () => {
    const web = loadConfig({ env: {} }).config.web;
    const lan = () => "192.168.1.20";
    assert.equal(webPageUrl(web, lan), null);
    assert.equal(webPageUrl({ ...web, host: "0.0.0.0", token: "t" }, lan), "http://192.168.1.20:8780/");
    assert.equal(
      webPageUrl({ ...web, host: "nursery.local", port: 80, token: "t" }, lan),
      "http://nursery.local:80/",
    );
    assert.equal(webPageUrl({ ...web, host: "fd00::5", token: "t" }, lan), "http://[fd00::5]:8780/");
    assert.equal(
      webPageUrl({ ...web, host: "0.0.0.0", token: "t" }, () => null),
      null,
      "no LAN address",
    );
    assert.equal(webPageUrl({ ...web, enabled: false, host: "0.0.0.0", token: "t" }, lan), null);
  });
});

describe("topClasses", () => {
  it("is the 5 highest scores, best first, as a full sort gives them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 0, maxLength: 600 }),
        (xs) => {
          const scores = Float32Array.from(xs);
          const expected = [...scores]
            .map((score, index) => ({ index, score }))
            .sort((a, b) => b.score - a.score || a.index - b.index)
            .slice(0, 5);
          assert.deepEqual(
            topClasses(scores).map((c) => c.score),
            expected.map((c) => c.score),
          );
        },
      ),
    );
  });
});

describe("LiveState", () => {
  const episode: EpisodeInfo = {
    id: "e1",
    startMs: 1000,
    startSec: 0,
    peak: 0.9,
    reason: "unsure",
    confidence: 0.4,
    probabilities: null,
    levelDbfs: -30,
    models: { yamnet: "y", heads: null },
  };
  function state() {
    const faults = new FaultBoard();
    const live = new LiveState({
      control: new PersistentDetectionControl(),
      health: new HealthState(),
      faults,
      classNames: ["Speech", "Baby cry, infant cry"],
      mqttEnabled: true,
      listen: false,
      version: "0.0.0",
      now: () => 10_000,
    });
    return { live, faults };
  }
  const window = (at: number, cry = 0.1) =>
    ({ type: "window", at, timeSec: 0, levelDbfs: -40, cry, yamnetCry: 0, gated: false }) as const;

  it("keeps the last 5 minutes of windows and names the last window's classes", () => {
    const { live } = state();
    let n = 0;
    for (let t = 0; t <= LIVE_SPAN_MS + 60_000; t += 480, n++) live.apply(window(t));
    const points = live.points();
    assert.ok(points[0].atMs >= points.at(-1)!.atMs - LIVE_SPAN_MS);
    assert.equal(
      points.length,
      Math.floor(LIVE_SPAN_MS / 480) + 1,
      "one point per window of the last 5 minutes",
    );
    live.apply({
      ...window(LIVE_SPAN_MS + 70_000, 0.9),
      topClasses: [{ index: 1, score: 0.8 }],
      inferenceMs: 40,
    });
    const s = live.status();
    assert.deepEqual(s.lastWindow?.topClasses, [{ name: "Baby cry, infant cry", score: 0.8 }]);
    assert.equal(s.inferenceMsPerWindow, 40);
    assert.equal(s.processedWindows, n + 1);
  });

  it("follows the episode (early until the provisional reason), the MQTT connection from the fault board", () => {
    const { live, faults } = state();
    assert.equal(live.status().crying, false);
    live.apply({ type: "episode_start", at: 1000, episode });
    assert.deepEqual([live.status().crying, live.status().episode?.early], [true, true]);
    live.apply({
      type: "episode_update",
      at: 6000,
      episode: { ...episode, reason: "hungry", confidence: 0.7 },
    });
    assert.deepEqual([live.status().episode?.early, live.status().episode?.reason], [false, "hungry"]);
    live.apply({
      type: "episode_end",
      at: 9000,
      episode: { ...episode, endMs: 9000, endSec: 8, durationSec: 8 },
    });
    assert.equal(live.status().episode, null);
    assert.equal(live.status().mqtt.connected, true);
    faults.set("broker", true);
    assert.deepEqual(live.status().mqtt, { enabled: true, connected: false });
  });
});
