import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { encodeWav } from "../../src/audio/wav.js";
import type { EpisodeRow } from "../../src/sinks/sqlite/database.js";
import { PROJECT_ROOT } from "../../src/version.js";
import { requireTools, skipWithoutTools } from "../support/tools.js";
import {
  alsaFifoDevice,
  CRY_CLIP,
  concat,
  Daemon,
  DOG_CLIP,
  FifoFeeder,
  isolatedEnv,
  type LogLine,
  load16k,
  quiet,
} from "./daemon-support.js";

const ARECORD_TOOLS = ["arecord", "mkfifo", "ps"];
const isCryEnded = (l: LogLine) => l.msg === "cry ended";

let dir: string;
let cry: Float32Array;
let dog: Float32Array;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "babymon-daemon-"));
  cry = await load16k(CRY_CLIP);
  dog = await load16k(DOG_CLIP);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function readEpisodes(path: string): EpisodeRow[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT * FROM episodes ORDER BY start_ms").all() as EpisodeRow[];
  } finally {
    db.close();
  }
}

describe("babymon run with a real arecord (ALSA file plugin)", {
  skip: skipWithoutTools(...ARECORD_TOOLS),
}, () => {
  before(() => requireTools(...ARECORD_TOOLS));
  it("raises an episode for a cry and none for a dog, and survives the capture process being killed", async () => {
    const { fifo, asoundrc } = alsaFifoDevice(dir);
    const data = join(dir, "arecord");
    const feeder = new FifoFeeder(fifo);
    let dogStart = 0;
    let dogEnd = 0;
    const daemon = new Daemon(
      ["run"],
      isolatedEnv({
        ALSA_CONFIG_PATH: asoundrc,
        BABYMON_DATA_DIR: data,
        BABYMON_AUDIO__DEVICE: "babymon_test",
        BABYMON_AUDIO__RESTART_MIN_SEC: "0.2",
        BABYMON_DETECTION__HOLD_SEC: "2",
        BABYMON_DETECTION__COOLDOWN_SEC: "1",
      }),
    );
    try {
      await daemon.waitFor((l) => l.msg === "capture" && l.status === "online", 20_000, 1, "capture online");

      feeder.segment(quiet(1));
      feeder.segment(cry);
      feeder.segment(quiet(1));
      await daemon.waitFor(isCryEnded, 25_000, 1, "first episode");

      const [arecord] = daemon.children("arecord");
      assert.ok(arecord, "arecord runs under the daemon");
      process.kill(arecord, "SIGKILL");
      await daemon.waitFor(
        (l) => l.msg === "capture" && l.status === "offline",
        10_000,
        1,
        "capture offline",
      );
      const back = await daemon.waitFor(
        (l) => l.msg === "capture" && l.status === "online",
        15_000,
        2,
        "restart",
      );
      assert.ok((back.restarts as number) >= 1);
      assert.notEqual(daemon.children("arecord")[0], arecord, "a new arecord process");

      const dogSeg = feeder.segment(dog);
      dogStart = await dogSeg.started;
      await dogSeg.done;
      dogEnd = Date.now();
      feeder.segment(quiet(4));
      feeder.segment(cry);
      feeder.segment(quiet(1));
      await daemon.waitFor(isCryEnded, 30_000, 2, "second episode after the restart");

      daemon.child.kill("SIGTERM");
      const exit = await daemon.exited;
      assert.equal(exit.code, 0, `clean exit on SIGTERM\n${daemon.stderr}`);
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
      await feeder.stop();
    }

    const episodes = readEpisodes(join(data, "babymon.db"));
    assert.equal(episodes.length, 2, JSON.stringify(episodes));
    for (const e of episodes) {
      assert.equal(e.status, "closed");
      assert.ok(e.peak > 0.4);
      assert.ok((e.duration_sec ?? 0) > 1);
    }
    // nothing during the dog: neither episode overlaps its playback (1.5 s slack for capture buffering)
    for (const e of episodes) {
      const clear = e.end_ms! < dogStart || e.start_ms > dogEnd + 1500;
      assert.ok(clear, `no episode on the dog: ${JSON.stringify({ e, dogStart, dogEnd })}`);
    }

    const db = new Database(join(data, "babymon.db"), { readonly: true });
    const restarts = db.prepare("SELECT max(restarts) AS n FROM health WHERE kind = 'capture'").get() as {
      n: number;
    };
    const stops = db.prepare("SELECT count(*) AS n FROM health WHERE kind = 'daemon_stop'").get() as {
      n: number;
    };
    db.close();
    assert.ok(restarts.n >= 1, "capture restart logged");
    assert.equal(stops.n, 1, "clean stop logged");
  });
});

describe("the SQLite log", () => {
  it("keeps every committed episode when the daemon is killed with SIGKILL", async () => {
    const part = cry.subarray(0, Math.round(2.5 * 16000));
    const audio = concat(quiet(0.5), part, quiet(2.5), part, quiet(2.5), cry, quiet(20));
    const wav = join(dir, "three-cries.wav");
    writeFileSync(wav, encodeWav(audio, 16000));
    const data = join(dir, "kill9");
    const daemon = new Daemon(
      ["run", "--input", wav],
      isolatedEnv({
        BABYMON_DATA_DIR: data,
        BABYMON_DETECTION__HOLD_SEC: "1",
        BABYMON_DETECTION__COOLDOWN_SEC: "0.5",
      }),
    );
    const path = join(data, "babymon.db");
    let committed: EpisodeRow[] = [];
    try {
      await daemon.waitFor(isCryEnded, 30_000, 2, "two episodes");
      // wait until the SQLite sink has committed both, then read them through a second connection
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        committed = readEpisodes(path).filter((e) => e.status === "closed");
        if (committed.length >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(committed.length >= 2, "two episodes committed");
      daemon.child.kill("SIGKILL");
      const exit = await daemon.exited;
      assert.equal(exit.signal, "SIGKILL");
    } finally {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill("SIGKILL");
    }
    const db = new Database(path);
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    db.close();
    const after = readEpisodes(path);
    for (const row of committed) {
      const kept = after.find((e) => e.id === row.id);
      assert.deepEqual(kept, row, "committed episode intact");
    }

    // `history` reads the same file
    const history = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "history", "--json", "--db", path],
      {
        encoding: "utf8",
        env: isolatedEnv({}),
      },
    );
    assert.equal(history.status, 0, history.stderr);
    const ids = history.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { id: string }).id);
    for (const row of committed) assert.ok(ids.includes(row.id));
  });
});

describe("shutdown", () => {
  it("closes the open episode and flushes the database on SIGTERM", async () => {
    const wav = join(dir, "long-cry.wav");
    writeFileSync(wav, encodeWav(concat(quiet(0.5), cry, cry, cry, cry), 16000));
    const data = join(dir, "sigterm");
    const daemon = new Daemon(["run", "--input", wav], isolatedEnv({ BABYMON_DATA_DIR: data }));
    try {
      await daemon.waitFor((l) => l.msg === "cry started", 20_000, 1, "episode start");
      daemon.child.kill("SIGTERM");
      assert.equal((await daemon.exited).code, 0);
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
    }
    const [episode] = readEpisodes(join(data, "babymon.db"));
    assert.equal(episode.status, "closed");
    assert.ok(episode.end_ms !== null && episode.end_ms > episode.start_ms);
  });
});

describe("babymon detect", () => {
  const detect = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "detect", ...args], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: isolatedEnv(env),
    });

  it("prints one JSON line per window and per episode on stdout, and a summary on stderr", () => {
    const wav = join(dir, "detect.wav");
    writeFileSync(wav, encodeWav(concat(quiet(1), cry, quiet(3), dog, quiet(1)), 16000));
    const r = detect([wav, "--jsonl", "--windows"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const windows = lines.filter((l) => l.type === "window");
    const episodes = lines.filter((l) => l.type === "episode");
    assert.equal(windows.length + episodes.length, lines.length, "only window and episode lines");
    assert.ok(windows.every((w) => ["time", "level", "cry", "gated"].every((k) => k in w)));
    assert.deepEqual(
      windows.slice(0, 3).map((w) => w.time),
      [0, 0.48, 0.96],
    );
    assert.equal(
      episodes.length,
      1,
      `one episode for the cry, none for the dog: ${JSON.stringify(episodes)}`,
    );
    const [e] = episodes;
    assert.equal(e.id, 1);
    for (const k of ["start", "end", "detected", "peak", "reason", "probabilities", "level"])
      assert.ok(k in e, k);
    assert.ok(
      e.start >= 0.4 && e.start < 6 && e.end > e.start && e.end < 7,
      `episode within the cry: ${e.start}–${e.end}`,
    );
    assert.match(r.stderr, /detect: .*detect\.wav: 1 episode\(s\), \d+ windows .*× real time/);
  });

  it("uses the operating point the heads' manifest ships unless the owner sets one", () => {
    const heads = join(dir, "heads");
    cpSync(join(PROJECT_ROOT, "models", "babymon-heads"), heads, { recursive: true });
    const manifestFile = join(heads, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    manifest.thresholds = { ...manifest.thresholds, episode: 0.987, onsetN: 6, onsetStrong: 0.9995 };
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const wav = join(dir, "quiet.wav");
    writeFileSync(wav, encodeWav(quiet(2), 16000));
    const env = { BABYMON_INFERENCE__SCORE_SOURCE: "heads", BABYMON_INFERENCE__HEADS_DIR: heads };
    const shipped = detect([wav, "--jsonl"], env);
    assert.equal(shipped.status, 0, shipped.stderr);
    assert.match(shipped.stderr, /threshold 0\.987, onset 3 of 6 or one window ≥ 0\.9995/);
    const owner = detect([wav, "--jsonl", "--threshold", "0.9"], {
      ...env,
      BABYMON_DETECTION__ONSET_N: "4",
      BABYMON_DETECTION__ONSET_STRONG: "1",
    });
    assert.equal(owner.status, 0, owner.stderr);
    assert.match(owner.stderr, /threshold 0\.9, onset 3 of 4\n/);
  });
});

describe("configuration errors", () => {
  it("stops start-up naming the key, the value and what is allowed", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "detection:\n  onsetN: 3\n  holdSec: -1\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", "--config", bad], {
      encoding: "utf8",
      env: isolatedEnv({ BABYMON_DETECTION__THRESHOLD: "1.5", BABYMON_DATA_DIR: join(dir, "bad") }),
    });
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /`detection\.threshold` to be a number between 0 and 1 \(exclusive\), or null, got 1\.5 \(from BABYMON_DETECTION__THRESHOLD\)/,
    );
    assert.match(
      r.stderr,
      /`detection\.holdSec` to be a number between 0 and 120, got -1 \(from .*bad\.yaml\)/,
    );
  });
});
