import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BabymonEvent } from "../../src/events.js";
import { QueuedSink } from "../../src/sinks/queued-sink.js";
import type { Sink } from "../../src/sinks/sink.js";

const windowEvent = (i: number): BabymonEvent => ({
  type: "window",
  at: i,
  timeSec: i,
  levelDbfs: -40,
  cry: 0,
  yamnetCry: 0,
  gated: false,
});
const health = (i: number): BabymonEvent => ({
  type: "capture",
  at: i,
  status: "online",
  restarts: i,
  detail: null,
});

function recordingSink(name: string, behaviour: (e: BabymonEvent) => Promise<void> = async () => {}) {
  const seen: BabymonEvent[] = [];
  const sink: Sink = {
    name,
    start: async () => {},
    stop: async () => {},
    handle: async (e) => {
      await behaviour(e);
      seen.push(e);
    },
  };
  return { sink, seen };
}

describe("queued sink", () => {
  it("isolates a failing sink: failures are counted, others and later events go on", async () => {
    const bad = recordingSink("bad", async (e) => {
      if (e.at % 2 === 0) throw new Error("broker down");
    });
    const good = recordingSink("good");
    const errors: string[] = [];
    const qBad = new QueuedSink(bad.sink, { onError: (err) => errors.push((err as Error).message) });
    const qGood = new QueuedSink(good.sink);
    for (let i = 0; i < 10; i++) {
      qBad.enqueue(windowEvent(i));
      qGood.enqueue(windowEvent(i));
    }
    await qBad.flush();
    await qGood.flush();
    assert.equal(good.seen.length, 10);
    assert.equal(bad.seen.length, 5);
    assert.equal(qBad.getStats().failed, 5);
    assert.equal(errors.length, 5);
  });

  it("never blocks the producer on a hung sink and stays bounded, dropping window events first", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = recordingSink("slow", () => gate);
    const q = new QueuedSink(slow.sink, { capacity: 5 });
    const t0 = performance.now();
    q.enqueue(health(100)); // taken by the sink at once, then hangs
    for (let i = 0; i < 50; i++) q.enqueue(i % 10 === 0 ? health(i) : windowEvent(i));
    assert.ok(performance.now() - t0 < 50, "enqueue returns at once");
    assert.equal(q.getStats().queued, 5);
    release();
    await q.flush();
    const kinds = slow.seen.map((e) => e.type);
    assert.equal(kinds.filter((k) => k === "capture").length, 6, "all capture events kept");
    assert.ok(q.getStats().dropped >= 45);
  });

  it("delivers what is queued before stopping the sink", async () => {
    const slow = recordingSink("slow", () => new Promise((r) => setTimeout(r, 5)));
    let stopped = false;
    slow.sink.stop = async () => {
      stopped = true;
    };
    const q = new QueuedSink(slow.sink);
    for (let i = 0; i < 10; i++) q.enqueue(health(i));
    await q.stop();
    assert.equal(slow.seen.length, 10);
    assert.ok(stopped);
  });
});
