import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FaultBoard } from "../../src/control/faults.js";
import { ServiceRegistry, type Tier } from "../../src/service/registry.js";
import { PermanentStartError, type Service } from "../../src/service/service.js";
import { memoryLogger } from "../support/memory-logger.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A service that records when it starts and stops; `failures` start attempts throw first. */
function recorder(
  name: string,
  journal: string[],
  o: { failures?: number; error?: Error; startMs?: number; stopMs?: number } = {},
) {
  let failures = o.failures ?? 0;
  let attempts = 0;
  const service: Service = {
    name,
    start: async () => {
      journal.push(`start ${name}`);
      if (o.startMs && attempts++ > 0) await sleep(o.startMs);
      if (failures-- > 0) throw o.error ?? new Error(`${name}: port 1883 is taken`);
    },
    stop: async () => {
      journal.push(`stop ${name}`);
      if (o.stopMs) await sleep(o.stopMs);
      journal.push(`stopped ${name}`);
    },
  };
  return service;
}

function registry(deadlines: Partial<Record<Tier, number>> = {}) {
  const { log, lines } = memoryLogger();
  const faults = new FaultBoard();
  const services = new ServiceRegistry({
    logger: log,
    faults,
    retry: { firstMs: 50, maxMs: 120 },
    deadlines,
  });
  return { services, faults, lines };
}

describe("service registry", () => {
  it("stops the tiers in reverse — capture, analyzer, sinks together, followers, the database last", async () => {
    const journal: string[] = [];
    const { services } = registry();
    const start = (tier: Tier, name: string, stopMs = 0) =>
      services.start({ tier, critical: true, service: recorder(name, journal, { stopMs }) });
    await start("database", "database");
    await start("followers", "clips");
    await start("sinks", "sqlite", 30);
    await start("sinks", "mqtt", 10);
    await start("analyzer", "analyzer");
    await start("capture", "pipeline");
    journal.length = 0;
    await services.stop();
    await services.stop(); // a second call is the same stop
    assert.deepEqual(journal, [
      "stop pipeline",
      "stopped pipeline",
      "stop analyzer",
      "stopped analyzer",
      "stop sqlite",
      "stop mqtt", // the sinks stop in parallel
      "stopped mqtt",
      "stopped sqlite",
      "stop clips",
      "stopped clips",
      "stop database",
      "stopped database",
    ]);
  });

  it("a service that overruns its tier's deadline is named and left behind; the next tiers still stop", async () => {
    const journal: string[] = [];
    const { services, lines } = registry({ sinks: 100 });
    await services.start({ tier: "database", critical: true, service: recorder("database", journal) });
    await services.start({
      tier: "sinks",
      critical: false,
      service: recorder("sink:gpio", journal, { stopMs: 5000 }),
    });
    const t0 = Date.now();
    await services.stop();
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(journal.slice(-3), ["stop sink:gpio", "stop database", "stopped database"]);
    assert.ok(lines.some((l) => l.msg === "sink:gpio did not stop within 100 ms; going on without it"));
  });

  it("a critical service that cannot start throws; a non-critical one shows a fault and is retried with backoff", async () => {
    const journal: string[] = [];
    const { services, faults, lines } = registry();
    await assert.rejects(
      services.start({
        tier: "sinks",
        critical: true,
        service: recorder("sink:sqlite", journal, { failures: 1 }),
      }),
      /port 1883 is taken/,
    );
    let started = 0;
    const t0 = Date.now();
    const ok = await services.start({
      tier: "sinks",
      critical: false,
      fault: "sink:mqtt",
      service: recorder("sink:mqtt", journal, { failures: 3 }),
      onStarted: () => started++,
    });
    assert.equal(ok, false);
    assert.deepEqual(faults.active(), ["sink:mqtt"]);
    assert.match(lines.at(-1)!.msg, /^sink:mqtt could not start: .*retrying in 0\.05 s$/);
    while (started === 0 && Date.now() - t0 < 3000) await sleep(10);
    // attempts at 0, 50, 150 (50 + 100) and 270 ms (+ 120, the cap)
    assert.ok(Date.now() - t0 >= 270, `started after ${Date.now() - t0} ms`);
    assert.equal(journal.filter((j) => j === "start sink:mqtt").length, 4);
    assert.equal(started, 1);
    assert.deepEqual(faults.active(), []);
    assert.deepEqual(
      services.running.map((s) => s.name),
      ["sink:mqtt"],
    );
    await services.stop();
    assert.equal(journal.at(-1), "stopped sink:mqtt");
  });

  it("a PermanentStartError is not retried: the service stays off and its fault stays", async () => {
    const journal: string[] = [];
    const { services, faults, lines } = registry();
    const error = new PermanentStartError("GPIO: Expected pin 60 to be below 54");
    await services.start({
      tier: "sinks",
      critical: false,
      fault: "sink:gpio",
      service: recorder("sink:gpio", journal, { failures: 1, error }),
    });
    await sleep(200);
    assert.deepEqual(journal, ["start sink:gpio"]);
    assert.deepEqual(faults.active(), ["sink:gpio"]);
    assert.match(lines.at(-1)!.msg, /left off \(retrying cannot help\)/);
    await services.stop();
  });

  it("no retry after stop(), and nothing starts once stopping", async () => {
    const journal: string[] = [];
    const { services } = registry();
    await services.start({
      tier: "sinks",
      critical: false,
      service: recorder("sink:late", journal, { failures: 1 }),
    });
    await services.stop();
    await sleep(150);
    assert.deepEqual(journal, ["start sink:late"], "the pending retry was cancelled");
    await assert.rejects(
      services.start({ tier: "sinks", critical: true, service: recorder("sink:after", journal) }),
      /Expected sink:after to start before the daemon stops/,
    );
  });

  it("a retry that succeeds while the daemon stops is stopped at once, not left running", async () => {
    const journal: string[] = [];
    const { services } = registry();
    const service = recorder("sink:slow", journal, { failures: 1, startMs: 100 });
    await services.start({ tier: "sinks", critical: false, service });
    await sleep(80); // the retry (at 50 ms) is inside its 100 ms start
    await services.stop();
    await sleep(150);
    assert.deepEqual(journal, ["start sink:slow", "start sink:slow", "stop sink:slow", "stopped sink:slow"]);
    assert.deepEqual(services.running, []);
  });
});
