import type { BabymonEvent } from "../events.js";
import type { Logger } from "../logging.js";
import type { Sink } from "../sinks/sink.js";
import type { LearningConfig } from "./config.js";
import { dequantizeEmbedding, quantizeEmbedding } from "./quantize.js";
import { type ReasonModelStatus, reasonModelStatus } from "./reason-status.js";
import type { LearningStore, StoredWindow } from "./store.js";
import { CryVeto, type VetoParams } from "./veto.js";

const RETENTION_EVERY_MS = 3_600_000;

export interface LearningSinkOptions {
  store: LearningStore;
  config: LearningConfig;
  logger: Logger;
  /** the cry prototypes (unit vectors), the veto's positives; loaded at start */
  prototypes: () => Float32Array[];
  veto?: VetoParams;
  now?: () => number;
}

type Kept = Omit<StoredWindow, "episodeId" | "inEpisode">;

/**
 * Keeps what the models need to learn from feedback — each window's quantized embedding, scores and level — for
 * every episode and `contextSec` around it, and learns the home's "not a cry" veto from the labels in the
 * database. Labels written by `babymon feedback` while the daemon runs are picked up within `pollSec`.
 */
export class LearningSink implements Sink {
  readonly name = "learning";
  private ring: Kept[] = [];
  /** times in seconds of the input (the window's and the episode's own clock: wall clock can jump, replays run fast) */
  private open: { id: string; startSec: number } | null = null;
  private ended: Array<{ id: string; endSec: number }> = [];
  private veto: CryVeto | null = null;
  private prototypes: Float32Array[] = [];
  private revision = "";
  private timer: NodeJS.Timeout | null = null;
  private lastRetention = 0;
  private status: ReasonModelStatus | null = null;
  private missed = 0;
  private readonly now: () => number;

  constructor(private readonly o: LearningSinkOptions) {
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.prototypes = this.o.prototypes();
    this.retention();
    this.refresh();
    this.timer = setInterval(() => {
      try {
        this.refresh();
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, "learning: could not read the feedback");
      }
    }, this.o.config.pollSec * 1000);
    this.timer.unref();
  }

  /** Whether the home's veto silences this window (called on the audio path: memory only). */
  vetoes(embedding: Float32Array): boolean {
    return this.veto?.vetoes(embedding) ?? false;
  }

  /** "reason model: …" and the veto's size, for `babymon status`-style lines and the diagnostics. */
  get reasonModel(): ReasonModelStatus | null {
    return this.status;
  }

  /** The diagnostics line: the reason model's self-evaluation and what the veto holds. */
  statusLine(): string {
    const veto = this.veto ? `${this.veto.size} marked windows` : "nothing marked";
    return `${this.status?.line ?? "reason model: not loaded"}; not a cry: ${veto}; missed cries reported: ${this.missed}`;
  }

  /** Re-learns from the database when a label was added or something forgotten since the last look. */
  refresh(): void {
    const revision = this.o.store.revision();
    if (revision === this.revision) return;
    this.revision = revision;
    const latest = this.o.store.latestLabels();
    const marked: Float32Array[] = [];
    for (const [id, label] of latest) {
      if (label !== "not_cry") continue;
      for (const w of this.o.store.windowsOf(id))
        if (w.inEpisode) marked.push(dequantizeEmbedding(w.embedding));
    }
    this.veto = marked.length > 0 ? CryVeto.train(marked, this.prototypes, this.o.veto) : null;
    this.status = reasonModelStatus(this.o.store);
    this.missed = this.o.store.missedCries();
    this.o.logger.info(
      {
        marked: marked.length,
        veto: this.veto?.size ?? 0,
        rejected: this.veto?.rejected ?? 0,
        labels: latest.size,
      },
      "learning: feedback loaded",
    );
  }

  async handle(event: BabymonEvent): Promise<void> {
    switch (event.type) {
      case "window":
        if (event.embedding)
          this.window(event.at, event.timeSec, event.levelDbfs, event.cry, event.yamnetCry, event.embedding);
        break;
      case "episode_start": {
        const { id, startSec } = event.episode;
        this.open = { id, startSec };
        const from = startSec - this.o.config.contextSec;
        this.save(
          this.ring.filter((w) => w.timeSec >= from - 0.001),
          id,
          (w) => w.timeSec >= startSec - 0.001,
        );
        break;
      }
      case "episode_end": {
        const { id, endSec } = event.episode;
        this.o.store.closeEpisode(id, endSec);
        if (this.open?.id === id) this.open = null;
        this.ended.push({ id, endSec });
        break;
      }
    }
    if (this.now() - this.lastRetention >= RETENTION_EVERY_MS) this.retention();
  }

  private window(
    atMs: number,
    timeSec: number,
    levelDbfs: number,
    cry: number,
    yamnetCry: number,
    e: Float32Array,
  ) {
    const w: Kept = { atMs, timeSec, levelDbfs, cry, yamnetCry, embedding: quantizeEmbedding(e) };
    const context = this.o.config.contextSec;
    // a new input (a restart of the source's clock) starts afresh
    if (this.ring.length > 0 && timeSec < this.ring[this.ring.length - 1].timeSec) this.ring = [];
    this.ring.push(w);
    // the onset (up to 20 windows, ~10 s) and the context before it
    while (this.ring.length > 0 && this.ring[0].timeSec < timeSec - context - 12) this.ring.shift();
    if (this.open) this.save([w], this.open.id, () => true);
    this.ended = this.ended.filter((a) => timeSec <= a.endSec + context + 0.001);
    for (const a of this.ended) this.save([w], a.id, () => false);
  }

  private save(windows: Kept[], episodeId: string, inEpisode: (w: Kept) => boolean): void {
    if (windows.length === 0) return;
    this.o.store.saveWindows(windows.map((w) => ({ ...w, episodeId, inEpisode: inEpisode(w) })));
  }

  private retention(): void {
    this.lastRetention = this.now();
    const deleted = this.o.store.retention(this.o.config.retentionDays, this.now());
    if (deleted > 0) this.o.logger.info({ deleted }, "learning: retention removed old embeddings and labels");
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
