import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { PROJECT_ROOT } from "../../src/version.js";
import { envWithoutBabymon } from "../support/env.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import { CRY_CLIP, concat, load16k, quiet, SHARED, toS16 } from "./daemon-support.js";
import { MOSQUITTO, MosquittoBroker } from "./mqtt-support.js";

/**
 * Issue 16 end to end with real parts: the real daemon (`babymon run --input -`, raw 16 kHz PCM written by the
 * test as a microphone would deliver it), a real Mosquitto, the real SQLite file, YAMNet and the shipped heads.
 * A non-cry recording raises an episode; it is marked "not a cry" (over MQTT, then through the CLI with the daemon
 * stopped); the same sound at another moment raises none, a cry still does; `babymon forget --all` leaves nothing.
 */
const CLI = join(PROJECT_ROOT, "src", "cli", "main.ts");
/**
 * A chunk of the baby-laughter recording that the shipped detector (YAMNet's cry score, calibrated) takes for crying,
 * played twice in a row (10 s): an episode at every offset on the window grid tried (8 of 8). No cat does so since the
 * detector was calibrated on streams with matched bandwidth (its threshold is a raw score of 0.26, not 0.09). (The
 * toddler's "laugh_mama" raises one at every offset too, but marking it vetoes the test cry as well: it is too close
 * to crying in YAMNet's embedding space for the veto to tell them apart.)
 */
const NOT_CRY = join(SHARED, "data", "laugh", "laugh_1_33.wav");
const notCry = async () => {
  const once = await load16k(NOT_CRY);
  return concat(once, once);
};
const windowsIn = (samples: number) => (samples < 15600 ? 0 : Math.floor((samples - 15600) / 7680) + 1);
const scaled = (x: Float32Array, g: number) => x.map((v) => v * g);
const HOP = 7680;
/** Quiet before the sound's next play: it starts 60 ms off the window grid from its first play (at 3 s). */
const leadFor = (written: number) => {
  const want = (3 * 16000 + 960) % HOP;
  return (2 * 16000 + ((want - ((written + 2 * 16000) % HOP) + HOP) % HOP)) / 16000;
};

interface Line {
  msg: string;
  [k: string]: unknown;
}

class LiveDaemon {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  written = 0;
  stderr = "";

  constructor(configFile: string) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", CLI, "run", "--config", configFile, "--input", "-"],
      {
        cwd: PROJECT_ROOT,
        env: envWithoutBabymon({ NOTIFY_SOCKET: "" }),
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let buf = "";
    this.child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as Line);
        } catch {
          this.lines.push({ msg: p });
        }
      }
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  write(samples: Float32Array): void {
    this.child.stdin!.write(toS16(samples));
    this.written += samples.length;
  }

  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }

  async waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.child.exitCode !== null) throw new Error(`daemon exited before ${what}: ${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}\n${this.lines
            .filter((l) => l.msg !== "health")
            .slice(-12)
            .map((l) => JSON.stringify(l))
            .join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Until every window written so far went through the pipeline (health's processedWindows). */
  async analysed(timeoutMs = 120_000): Promise<void> {
    const want = windowsIn(this.written);
    await this.waitFor(
      () =>
        this.lines.some(
          (l) =>
            l.msg === "health" &&
            ((l.health as { processedWindows?: number })?.processedWindows ?? 0) >= want,
        ),
      timeoutMs,
      `${want} windows analysed`,
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.stdin!.end();
    this.child.kill("SIGTERM");
    await exited;
  }
}

function readSettings(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare("SELECT key, value FROM settings WHERE key NOT LIKE 'mqtt.%' ORDER BY key").all();
  db.close();
  return rows;
}

function cli(configFile: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", CLI, ...args, "--config", configFile], {
    cwd: PROJECT_ROOT,
    env: envWithoutBabymon({}),
    encoding: "utf8",
  });
}

const skip = skipWithoutTools(MOSQUITTO);

describe("learning end to end: not a cry, over MQTT and the CLI", { skip, timeout: 900_000 }, () => {
  const broker = new MosquittoBroker();
  const dir = mkdtempSync(join(tmpdir(), "babymon-learn-e2e-"));
  // one home each: the CLI test must not start with the veto the MQTT test taught
  const config = join(dir, "babymon.yaml");
  const dbPath = join(dir, "data", "babymon.db");
  const config2 = join(dir, "babymon2.yaml");
  const dbPath2 = join(dir, "data2", "babymon.db");

  before(async () => {
    requireTools(MOSQUITTO);
    await broker.start();
    for (const [file, data] of [
      [config, "data"],
      [config2, "data2"],
    ])
      writeFileSync(
        file,
        [
          `dataDir: ${dir}/${data}`,
          "gpio: { driver: simulated }",
          "web: { enabled: false }",
          `mqtt: { url: "${broker.url}", deviceId: nursery, reconnectSec: 0.5 }`,
          "logging: { level: debug, healthEverySec: 1 }",
          "learning: { pollSec: 0.5 }",
        ].join("\n"),
      );
  });
  after(() => broker.stop());

  test("marked over MQTT: the same sound raises no episode, a cry still does", async () => {
    const sound = await notCry();
    const cry = await load16k(CRY_CLIP);
    const client = await mqtt.connectAsync(broker.url);
    const cries: Array<{ episode_id: string }> = [];
    client.on("message", (_t, p) => cries.push(JSON.parse(p.toString())));
    await client.subscribeAsync("babymon/nursery/cry", { qos: 1 });
    const daemon = new LiveDaemon(config);
    try {
      await daemon.waitFor(() => daemon.count("listening") > 0, 120_000, "listening");
      daemon.write(concat(quiet(3), sound, quiet(12)));
      await daemon.waitFor(() => cries.length === 1, 120_000, "the episode the sound raised");
      const id = cries[0].episode_id;
      assert.ok(id, "the cry event carries episode_id");
      // bad feedback first: it changes nothing and the daemon keeps running
      for (const bad of [
        "garbage",
        '{"episode_id":"nope","label":"not_cry"}',
        '{"label":"cold"}',
        "x".repeat(1 << 20),
      ])
        await client.publishAsync("babymon/nursery/set/feedback", bad, { qos: 1 });
      await client.publishAsync(
        "babymon/nursery/set/feedback",
        JSON.stringify({ episode_id: id, label: "not_cry" }),
        {
          qos: 1,
        },
      );
      await daemon.waitFor(
        () => daemon.lines.some((l) => l.msg === "learning: feedback loaded" && (l.veto as number) > 0),
        30_000,
        "the veto learned",
      );
      // a flood: 1000 messages within about a second, bad ones and repeats of the good label
      const settingsBefore = readSettings(dbPath);
      const flood = [
        "{",
        '{"episode_id":"nope","label":"tired"}',
        '{"label":"meow"}',
        JSON.stringify({ episode_id: id, label: "not_cry" }),
      ];
      for (let i = 0; i < 1000; i++) client.publish("babymon/nursery/set/feedback", flood[i % 4], { qos: 0 });
      await client.publishAsync("babymon/nursery/set/detection", "maybe", { qos: 1 });
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(daemon.child.exitCode, null, "the daemon survives the flood");
      assert.deepEqual(readSettings(dbPath), settingsBefore, "no setting changed");
      const episodesBefore = daemon.count("cry started");
      daemon.write(concat(quiet(leadFor(daemon.written), 5), scaled(sound, 0.7), quiet(12, 6)));
      await daemon.analysed();
      assert.equal(
        daemon.count("cry started"),
        episodesBefore,
        "the same sound at another moment raises no episode",
      );
      daemon.write(concat(cry, quiet(12, 7)));
      await daemon.waitFor(() => cries.length === 2, 120_000, "the cry's episode");
      const db = new Database(dbPath, { readonly: true });
      const labels = db.prepare("SELECT episode_id, label, source FROM learning_feedback").all();
      db.close();
      assert.deepEqual(labels, [{ episode_id: id, label: "not_cry", source: "mqtt" }], "only the good label");
    } finally {
      await daemon.stop();
      await client.endAsync();
    }
  });

  test("marked through the CLI with the daemon stopped; history shows it; forget --all leaves nothing", async () => {
    const sound = await notCry();
    const cry = await load16k(CRY_CLIP);
    let daemon = new LiveDaemon(config2);
    try {
      await daemon.waitFor(() => daemon.count("listening") > 0, 120_000, "listening");
      daemon.write(concat(quiet(3), sound, quiet(12)));
      await daemon.waitFor(() => daemon.count("cry ended") === 1, 120_000, "the episode the sound raised");
    } finally {
      await daemon.stop();
    }
    const unknown = cli(config2, "feedback", "--episode", "no-such-id", "--not-cry");
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown episode id "no-such-id"/);
    const marked = cli(config2, "feedback", "--last", "--not-cry");
    assert.equal(marked.status, 0, marked.stderr);
    const id = /^episode (\S+): not_cry recorded/.exec(marked.stdout)?.[1];
    assert.ok(id, marked.stdout);
    const history = cli(config2, "history");
    assert.match(history.stdout, new RegExp(`${id}.*not_cry`));
    daemon = new LiveDaemon(config2);
    try {
      await daemon.waitFor(() => daemon.count("listening") > 0, 120_000, "listening");
      daemon.write(concat(quiet(leadFor(daemon.written), 3), scaled(sound, 0.7), quiet(12, 4)));
      await daemon.analysed();
      assert.equal(
        daemon.count("cry started"),
        0,
        "the same sound raises no episode after the daemon restarted",
      );
      daemon.write(concat(cry, quiet(12, 9)));
      await daemon.waitFor(() => daemon.count("cry ended") === 1, 120_000, "the cry's episode");
    } finally {
      await daemon.stop();
    }
    const forgot = cli(config2, "forget", "--all");
    assert.equal(forgot.status, 0, forgot.stderr);
    const db = new Database(dbPath2, { readonly: true });
    const left = db
      .prepare(
        "SELECT (SELECT count(*) FROM learning_windows) AS windows, (SELECT count(*) FROM learning_feedback) AS labels",
      )
      .get();
    db.close();
    assert.deepEqual(left, { windows: 0, labels: 0 });
  });
});
