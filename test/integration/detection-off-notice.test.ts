import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeWav } from "../../src/audio/wav.js";
import { PersistentDetectionControl } from "../../src/control/detection-control.js";
import { openDatabase, SqliteSettingsStore } from "../../src/sinks/sqlite/database.js";
import { Daemon, isolatedEnv, type LogLine, quiet } from "./daemon-support.js";

/**
 * Detection switched off (over MQTT: `control.setEnabled(false, "mqtt")`) stays off across restarts; `babymon run`
 * says so at start-up, with when and by whom it was switched off, read from the SQLite file.
 */
const dir = mkdtempSync(join(tmpdir(), "babymon-detection-off-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const wav = join(dir, "quiet.wav");
writeFileSync(wav, encodeWav(quiet(2), 16000));

const isOffWarning = (l: LogLine) => l.msg.startsWith("detection is off");

/** The daemon's settings in `dataDir`'s database, as an MQTT command leaves them, at a given time. */
function switchDetection(dataDir: string, steps: Array<{ enabled: boolean; atMs: number }>): void {
  const db = openDatabase(join(dataDir, "babymon.db"));
  try {
    for (const { enabled, atMs } of steps) {
      new PersistentDetectionControl(new SqliteSettingsStore(db), undefined, () => atMs).setEnabled(
        enabled,
        "mqtt",
      );
    }
  } finally {
    db.close();
  }
}

async function startUpLog(dataDir: string): Promise<LogLine[]> {
  const daemon = new Daemon(["run", "--input", wav, "--fast"], isolatedEnv({ BABYMON_DATA_DIR: dataDir }));
  try {
    const { code } = await daemon.exited;
    assert.equal(code, 0, `babymon run exited ${code}: ${daemon.stderr}\n${daemon.tail()}`);
  } finally {
    if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
  }
  return daemon.lines;
}

test("detection switched off: warned at start-up with since when and by whom, at every start", async () => {
  const data = join(dir, "off");
  const offAt = Date.now() - (3 * 60 + 5) * 60_000;
  switchDetection(data, [
    { enabled: false, atMs: offAt - 86_400_000 },
    { enabled: true, atMs: offAt - 3_600_000 },
    { enabled: false, atMs: offAt },
  ]);
  for (const start of ["first", "second"]) {
    const warnings = (await startUpLog(data)).filter(isOffWarning);
    assert.equal(warnings.length, 1, `${start} start: one warning`);
    const [w] = warnings;
    assert.equal(w.level, 40);
    assert.equal(w.since, new Date(offAt).toISOString(), "the last switch off, not the first");
    assert.equal(w.by, "mqtt");
    assert.match(
      w.msg,
      new RegExp(
        `^detection is off since ${new Date(offAt).toISOString()} \\(3 h 5 min ago, switched off by mqtt\\)`,
      ),
    );
    assert.match(w.msg, /stays off across restarts/);
    assert.match(w.msg, /set\/detection/, "says how to switch it on");
  }
});

test("detection off from before the time was recorded: warned, saying the time is not known", async () => {
  const data = join(dir, "legacy");
  const db = openDatabase(join(data, "babymon.db"));
  new SqliteSettingsStore(db).set("detection.enabled", "false");
  db.close();
  const [w, ...more] = (await startUpLog(data)).filter(isOffWarning);
  assert.equal(more.length, 0);
  assert.match(w?.msg ?? "", /^detection is off since before babymon recorded when, and stays off/);
  assert.equal(w.since, null);
});

test("detection on (never switched, or switched back on): no warning", async () => {
  assert.equal((await startUpLog(join(dir, "fresh"))).filter(isOffWarning).length, 0);
  const data = join(dir, "back-on");
  switchDetection(data, [
    { enabled: false, atMs: Date.now() - 60_000 },
    { enabled: true, atMs: Date.now() },
  ]);
  assert.equal((await startUpLog(data)).filter(isOffWarning).length, 0);
});
