import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import type { AudioSource, SourceHandlers } from "../../src/audio/sources/source.js";
import { loadConfig } from "../../src/config/load.js";
import { resolveDetection } from "../../src/detection/episodes.js";
import { ListeningPipeline } from "../../src/detection/listening-pipeline.js";
import type { BabymonEvent, CaptureStatus } from "../../src/events.js";
import type { Analyzer, WindowAnalysis } from "../../src/inference/types.js";

/**
 * Test double of the analyzer: cry = the window's mean absolute amplitude × 4, after a fixed delay; YAMNet's own
 * cry score is that × `yamnetFactor` (0: heads hear a cry that YAMNet does not).
 */
class SlowAnalyzer implements Analyzer {
  readonly models = { yamnet: "test-double", heads: null };
  readonly backend = "test";
  calls = 0;
  constructor(
    private readonly delayMs: number,
    private readonly yamnetFactor = 1,
  ) {}
  async analyze(windows: Float32Array[]): Promise<WindowAnalysis[]> {
    this.calls++;
    await new Promise((r) => setTimeout(r, this.delayMs));
    return windows.map((w) => {
      let s = 0;
      for (const v of w) s += Math.abs(v);
      const cry = Math.min(1, (s / w.length) * 4);
      return {
        scores: new Float32Array(521),
        embedding: new Float32Array(1024),
        yamnetCry: cry * this.yamnetFactor,
        cry,
        reasons: null,
      };
    });
  }
  dispose(): void {}
}

/** Pushes `seconds` of audio in 0.1 s chunks as fast as the pipeline accepts. */
class PushSource implements AudioSource {
  readonly replayClock = true;
  readonly restarts = 0;
  readonly description = "test";
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor(
    readonly lossless: boolean,
    private readonly audio: Float32Array,
  ) {
    this.done = new Promise((r) => {
      this.resolve = r;
    });
  }
  status(): CaptureStatus {
    return "online";
  }
  async start(h: SourceHandlers): Promise<void> {
    void (async () => {
      for (let i = 0; i < this.audio.length; i += 1600) await h.data(this.audio.subarray(i, i + 1600));
      this.resolve();
    })();
  }
  async stop(): Promise<void> {}
}

function audioWithCry(seconds: number, cryFrom: number, cryTo: number): Float32Array {
  const x = new Float32Array(seconds * 16000);
  for (let i = cryFrom * 16000; i < cryTo * 16000; i++) x[i] = i % 2 ? 0.5 : -0.5;
  return x;
}

async function runPipeline(
  lossless: boolean,
  delayMs: number,
  o: { yamnetSupport?: number; yamnetFactor?: number } = {},
) {
  const { config } = loadConfig({
    env: {},
    overrides: {
      "inference.maxQueuedWindows": 4,
      "inference.maxBatch": 1,
      ...(o.yamnetSupport === undefined ? {} : { "detection.yamnetSupport": o.yamnetSupport }),
    },
  });
  const events: BabymonEvent[] = [];
  const analyzer = new SlowAnalyzer(delayMs, o.yamnetFactor);
  const pipeline = new ListeningPipeline({
    ...config,
    detection: resolveDetection(config.detection, "yamnet"),
    source: new PushSource(lossless, audioWithCry(20, 5, 12)),
    analyzer,
    emit: (e) => events.push(e),
    logger: pino({ level: "silent" }),
    replayEpochMs: 0,
  });
  await pipeline.start();
  await pipeline.finished;
  await pipeline.stop();
  return { events, health: pipeline.health() };
}

describe("listening pipeline", () => {
  it("analyses every window of a lossless source and raises the episode", async () => {
    const { events, health } = await runPipeline(true, 2);
    const expectedWindows = Math.floor((20 * 16000 - 15600) / 7680) + 1;
    assert.equal(health.processedWindows, expectedWindows);
    assert.equal(health.droppedWindows, 0);
    const ends = events.filter((e) => e.type === "episode_end");
    assert.equal(ends.length, 1);
    assert.ok(
      ends[0].type === "episode_end" && ends[0].episode.startSec >= 4 && ends[0].episode.endSec <= 13,
    );
  });

  it("drops the oldest windows of a live source when inference falls behind, and counts them", async () => {
    const { health, events } = await runPipeline(false, 20);
    const total = Math.floor((20 * 16000 - 15600) / 7680) + 1;
    assert.ok(health.droppedWindows > 0, "some dropped");
    assert.equal(health.processedWindows + health.droppedWindows, total, "every window processed or counted");
    const times = events.filter((e) => e.type === "window").map((e) => (e.type === "window" ? e.timeSec : 0));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      "windows stay in order",
    );
  });

  it("raises no episode when YAMNet's own cry score stays under detection.yamnetSupport", async () => {
    const ends = (r: { events: BabymonEvent[] }) => r.events.filter((e) => e.type === "episode_end").length;
    assert.equal(ends(await runPipeline(true, 0, { yamnetSupport: 0.05, yamnetFactor: 0 })), 0);
    assert.equal(ends(await runPipeline(true, 0, { yamnetSupport: 0.05, yamnetFactor: 0.1 })), 1);
    assert.equal(ends(await runPipeline(true, 0, { yamnetSupport: 0, yamnetFactor: 0 })), 1);
  });
});
