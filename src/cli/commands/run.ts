import type { Command } from "commander";
import { App } from "../../app.js";
import type { HealthSnapshot } from "../../events.js";
import { createLogger } from "../../logging.js";
import { SystemdNotifier } from "../../service/systemd-notify.js";
import { loadConfigOrExit, printConfig, SHOW_SECRETS_FLAG, withConfigOption } from "../config-options.js";

interface RunOptions {
  config?: string;
  input?: string;
  fast?: boolean;
  printConfig?: boolean;
  showSecrets?: boolean;
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command("run")
      .description("the daemon: listen (microphone by default), detect cry episodes, tell the sinks")
      .option(
        "-i, --input <file|url|->",
        "replay a file, a stream URL or raw s16le PCM on stdin (-) instead of the mic",
      )
      .option("--fast", "replay --input as fast as possible instead of in real time")
      .option("--print-config", "print the effective configuration as YAML and exit")
      .option(...SHOW_SECRETS_FLAG),
  ).action(async (opts: RunOptions) => {
    const overrides: Record<string, unknown> = {};
    if (opts.input !== undefined) overrides["audio.input"] = opts.input;
    if (opts.fast) overrides["audio.realtime"] = false;
    const loaded = loadConfigOrExit(opts.config, overrides);
    if (opts.printConfig) {
      printConfig(loaded, opts.showSecrets);
      return;
    }
    const logger = createLogger(loaded.config.logging);
    const app = new App({ config: loaded.config, logger, configOrigins: loaded.origins });
    const systemd = new SystemdNotifier(logger);

    let exiting = false;
    const shutdown = async (why: string, code: number) => {
      if (exiting) return;
      exiting = true;
      logger.info({ why }, "stopping");
      await systemd.stopping();
      await app.stop();
      logger.info("stopped");
      logger.flush();
      process.exit(code);
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        if (exiting) {
          process.exit(130);
        }
        void shutdown(signal, 0);
      });
    }
    try {
      await app.start();
    } catch (err) {
      logger.fatal({ err: (err as Error).message }, "could not start");
      logger.flush();
      process.exit(1);
    }
    logger.info({ dataDir: app.dataDir, sinks: app.sinks.map((s) => s.name) }, "running");
    const sinkNames = app.sinks.map((s) => s.name).join(", ");
    const status = (h: HealthSnapshot | null) => systemdStatus(h, sinkNames);
    let lastStatus = status(app.health.latest);
    await systemd.ready(lastStatus);
    // `systemctl status` says what the parents' page says: not "listening" while the microphone is down
    app.health.subscribe((h) => {
      const next = status(h);
      if (next === lastStatus) return;
      lastStatus = next;
      void systemd.notify(`STATUS=${next}`);
    });
    // file and stdin inputs end; live sources run until a signal
    void app.pipeline.finished.then(() =>
      app.pipeline.inputError ? shutdown("input failed", 1) : shutdown("end of input", 0),
    );
  });
}

/** The unit's STATUS= line: listening only while capture is online, and the active faults. */
export function systemdStatus(health: HealthSnapshot | null, sinks: string): string {
  const capture = health?.capture ?? "starting";
  const head = capture === "online" ? `listening (${sinks})` : `NOT listening: capture ${capture}`;
  const faults = health?.faults.filter((f) => f !== "capture") ?? [];
  return faults.length > 0 ? `${head}; faults: ${faults.join(", ")}` : head;
}
