import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { encodeWav } from "../../src/audio/wav.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";
import { Daemon, quiet } from "./daemon-support.js";
import { freePort } from "./mqtt-support.js";

/**
 * The page off loopback: without `web.token` start-up is refused naming it; with it, every request and stream
 * without the token gets 401 and no data, and with it (header, ?token=, the cookie that sets) the data. POST
 * /api/feedback refuses what is not a good label on a known episode, each with its message, and writes nothing.
 */
const work = mkdtempSync(join(tmpdir(), "babymon-web-token-"));
const CLI = join(PROJECT_ROOT, "src", "cli", "main.ts");
const TOKEN = "night-owl-7f3a";

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return envWithoutBabymon({
    NOTIFY_SOCKET: "",
    BABYMON_DATA_DIR: join(work, "data"),
    BABYMON_MQTT__ENABLED: "false",
    BABYMON_GPIO__ENABLED: "false",
    BABYMON_INFERENCE__SCORE_SOURCE: "yamnet",
    ...extra,
  });
}

test("bound to a non-loopback address without a token, run refuses to start, naming web.token", () => {
  const cases: Array<Record<string, string>> = [
    { BABYMON_WEB__HOST: "0.0.0.0" },
    { BABYMON_WEB__LISTEN: "true" },
  ];
  for (const extra of cases) {
    const r = spawnSync(process.execPath, ["--import", "tsx", CLI, "run", "--input", "-"], {
      cwd: PROJECT_ROOT,
      env: env(extra),
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /Expected `web\.token` to be a secret \(at least one character\) when `web\.(host` \("0\.0\.0\.0"\) is not a loopback|listen` is true)/,
    );
    assert.match(r.stderr, /got nothing/);
  }
});

/** `babymon run` on a minute of quiet, the page on 0.0.0.0 with the token; its base URL once it listens. */
async function tokenDaemon(
  name: string,
  extra: Record<string, string>,
): Promise<{ daemon: Daemon; base: string }> {
  const input = join(work, `${name}.wav`);
  writeFileSync(input, encodeWav(quiet(60), 16000));
  const port = await freePort();
  const daemon = new Daemon(
    ["run", "--input", input],
    env({
      BABYMON_WEB__HOST: "0.0.0.0",
      BABYMON_WEB__PORT: String(port),
      BABYMON_WEB__TOKEN: TOKEN,
      ...extra,
    }),
  );
  await daemon.waitFor((l) => l.msg === "web page listening", 60_000, 1, "the web page");
  return { daemon, base: `http://127.0.0.1:${port}` };
}

describe("with web.host 0.0.0.0 and a token", { timeout: 90_000 }, () => {
  let daemon: Daemon;
  let base: string;
  before(async () => {
    ({ daemon, base } = await tokenDaemon("quiet", { BABYMON_WEB__LISTEN: "true" }));
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
  });

  const PATHS = [
    "/",
    "/app.js",
    "/api/status",
    "/api/episodes",
    "/api/night",
    "/metrics",
    "/api/events",
    "/api/listen",
  ];

  test("every request and stream without the token, or with a wrong one, gets 401 and no data", async () => {
    for (const path of PATHS) {
      const wrong: Array<Record<string, string>> = [
        {},
        { authorization: "Bearer wrong" },
        { cookie: "babymon_token=wrong" },
      ];
      for (const headers of wrong) {
        const res = await fetch(`${base}${path}`, { headers });
        const body = await res.text();
        assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.doesNotMatch(
          body,
          /babymon_|capture|detection"|uPlot|RIFF/,
          `${path}: no data in ${body.slice(0, 200)}`,
        );
      }
      const wrongQuery = await fetch(`${base}${path}${path.includes("?") ? "&" : "?"}token=wrong`);
      assert.equal(wrongQuery.status, 401, `${path}?token=wrong`);
      await wrongQuery.body?.cancel();
    }
    const post = await fetch(`${base}/api/detection`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    assert.equal(post.status, 401);
    await post.body?.cancel();
    const status = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(
      ((await status.json()) as { detection: { enabled: boolean } }).detection.enabled,
      true,
      "unchanged",
    );
  });

  test("with the token: the data, a cookie for the page, the event stream and the listen-in audio", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const status = await fetch(`${base}/api/status`, { headers: auth });
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { listen: boolean }).listen, true);
    const page = await fetch(`${base}/?token=${TOKEN}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>babymon<\/title>/);
    const cookie = page.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^babymon_token=night-owl-7f3a; Path=\/; HttpOnly; SameSite=Strict/);
    const metrics = await fetch(`${base}/metrics`, { headers: { cookie: cookie.split(";")[0] } });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^babymon_windows_processed_total \d+$/m);

    const events = await fetch(`${base}/api/events`, { headers: auth });
    assert.equal(events.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = events.body!.getReader();
    let text = "";
    while (!text.includes("event: tick")) text += new TextDecoder().decode((await reader.read()).value);
    assert.match(text, /^event: status\ndata: \{/);
    await reader.cancel();

    const listen = await fetch(`${base}/api/listen`, { headers: auth });
    assert.equal(listen.headers.get("content-type"), "audio/wav");
    const audio = listen.body!.getReader();
    let bytes = Buffer.alloc(0);
    while (bytes.length < 44 + 16000) bytes = Buffer.concat([bytes, (await audio.read()).value!]);
    await audio.cancel();
    assert.equal(bytes.subarray(0, 4).toString("ascii"), "RIFF");
    assert.equal(bytes.readUInt32LE(24), 16000, "16 kHz");
  });
});

describe("POST /api/feedback on the running daemon (a token set, no episode yet)", {
  timeout: 90_000,
}, () => {
  let daemon: Daemon;
  let base: string;
  const data = join(work, "data-feedback");
  before(async () => {
    ({ daemon, base } = await tokenDaemon("quiet-feedback", { BABYMON_DATA_DIR: data }));
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
  });

  const post = async (headers: Record<string, string>, body: string) => {
    const res = await fetch(`${base}/api/feedback`, { method: "POST", headers, body });
    return { status: res.status, error: ((await res.json()) as { error?: string }).error ?? "" };
  };
  const auth = { authorization: `Bearer ${TOKEN}` };
  const json = { ...auth, "content-type": "application/json" };

  test("each bad request is refused with its message, and nothing is written", async () => {
    const good = JSON.stringify({ episode_id: "last", label: "not_cry" });
    const cases: Array<[string, Record<string, string>, string, number, RegExp]> = [
      ["no token", { "content-type": "application/json" }, good, 401, /^Expected the token of `web\.token`/],
      ["a wrong token", { ...json, authorization: "Bearer wrong" }, good, 401, /^Expected the token/],
      [
        "a cross-site form",
        { ...auth, "content-type": "application/x-www-form-urlencoded" },
        "episode_id=last&label=not_cry",
        415,
        /^Expected a JSON object \{"episode_id": "<id>" \| "last", "label": "<label>"\} with content-type application\/json, got application\/x-www-form-urlencoded$/,
      ],
      ["text/plain", { ...auth, "content-type": "text/plain" }, good, 415, /got text\/plain$/],
      ["bad JSON", json, '{"episode_id": "last", label', 400, /^feedback is not JSON: "\{\\"episode_id/],
      ["not an object", json, "[1]", 400, /^expected a JSON object \{"episode_id", "label"\}, got \[1\]$/],
      [
        "an unknown label",
        json,
        JSON.stringify({ episode_id: "last", label: "the cat" }),
        400,
        /^expected `label` to be one of hungry, belly_pain, burping, discomfort, tired, not_cry, cry_unknown_reason, got "the cat"$/,
      ],
      [
        "an unknown episode id",
        json,
        JSON.stringify({ episode_id: "no-such-episode", label: "tired" }),
        404,
        /^unknown episode id "no-such-episode" \(`babymon history` lists the ids\)$/,
      ],
      ["no episode yet", json, good, 404, /^no episode yet to give feedback on$/],
      [
        "2 KB",
        json,
        JSON.stringify({ episode_id: "x".repeat(2000), label: "tired" }),
        413,
        /^Expected a JSON object .* under 1024 bytes, got 2\d{3} bytes$/,
      ],
    ];
    for (const [what, headers, body, status, error] of cases) {
      const r = await post(headers, body);
      assert.equal(r.status, status, `${what}: ${r.error}`);
      assert.match(r.error, error, what);
    }
    const db = new Database(join(data, "babymon.db"), { readonly: true });
    const labels = db.prepare("SELECT count(*) AS n FROM learning_feedback").get() as { n: number };
    db.close();
    assert.equal(labels.n, 0, "nothing written");
    assert.equal(daemon.child.exitCode, null, "the daemon still runs");
  });
});
