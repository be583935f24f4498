import cliProgress from "cli-progress";

/** The run's progress bars on stderr (none when `enabled` is false: no TTY, or --no-progress). */
export class RunProgress {
  private readonly bars: cliProgress.MultiBar | null;
  private epochBar: cliProgress.SingleBar | undefined;

  constructor(enabled: boolean) {
    this.bars = enabled
      ? new cliProgress.MultiBar(
          { clearOnComplete: false, hideCursor: true, format: " {name} [{bar}] {value}/{total} {extra}" },
          cliProgress.Presets.shades_classic,
        )
      : null;
  }

  /** A new bar; `name` is padded to the bars' common width. */
  bar(name: string, total: number): cliProgress.SingleBar | undefined {
    return this.bars?.create(total, 0, { name: name.padEnd(9), extra: "" });
  }

  /** The one bar that shows the epochs of the head being trained (created on first use). */
  epochs(): cliProgress.SingleBar | undefined {
    this.epochBar ??= this.bar("epochs", 0);
    return this.epochBar;
  }

  remove(bar: cliProgress.SingleBar | undefined): void {
    if (bar) this.bars?.remove(bar);
  }

  stop(): void {
    this.bars?.stop();
  }
}
