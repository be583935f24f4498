import type { AudioSource } from "../audio/sources/source.js";
import type { InferenceConfig, WindowsConfig } from "../config/schema.js";
import { type DetectionControl, thresholdForSensitivity } from "../control/detection-control.js";
import type { BabymonEvent, CaptureStatus, ClassScore, HealthSnapshot, ModelVersions } from "../events.js";
import type { Analyzer, WindowScores } from "../inference/types.js";
import type { Logger } from "../logging.js";
import { EpisodeTracker, type ResolvedDetection } from "./episodes.js";
import { vetoedScores } from "./veto.js";
import type { AudioWindow } from "./window-types.js";
import { VolumeGate, WindowCutter } from "./windows.js";

export interface ListeningPipelineOptions {
  windows: WindowsConfig;
  inference: Pick<InferenceConfig, "maxQueuedWindows" | "maxBatch">;
  detection: ResolvedDetection;
  source: AudioSource;
  /** null when the model could not be loaded: levels and health still flow, no cry detection */
  analyzer: Analyzer | null;
  /** Publishes an event; must not block (sinks sit behind their own queues). */
  emit: (event: BabymonEvent) => void;
  logger: Logger;
  control?: DetectionControl;
  newEpisodeId?: () => string;
  /** Epoch ms of sample 0 for sources that replay (files): default the start time. */
  replayEpochMs?: number;
  /** Receives every 16 kHz chunk, synchronously (the sinks' audio taps: episode clips); must only copy. */
  onAudio?: (samples: Float32Array) => void;
  /** True when a window's embedding is one the home marked "not a cry" (src/learning/veto.ts): it does not count. */
  windowVeto?: (embedding: Float32Array) => boolean;
}

interface QueuedWindow {
  window: AudioWindow;
  atMs: number;
  embedding?: Float32Array;
}

const NO_MODELS: ModelVersions = { yamnet: "missing", heads: null };
/** What the episode logic reads of a window the volume gate skipped. */
const GATED: WindowScores = { cry: 0, yamnetCry: 0, reasons: null };
/** How many of YAMNet's classes each window event names (the page shows them). */
const TOP_CLASSES = 5;

/** The `n` highest scores, best first: one pass over the 521 classes, no sort of them all. */
export function topClasses(scores: Float32Array, n = TOP_CLASSES): ClassScore[] {
  const top: ClassScore[] = [];
  for (let index = 0; index < scores.length; index++) {
    const score = scores[index];
    if (top.length === n && score <= top[n - 1].score) continue;
    let at = top.length < n ? top.length : n - 1;
    while (at > 0 && top[at - 1].score < score) at--;
    top.splice(at, 0, { index, score });
    if (top.length > n) top.pop();
  }
  return top;
}

/** What a window's event adds to its scores: YAMNet's best classes and the inference time. */
interface Analysed {
  scores: WindowScores;
  topClasses: ClassScore[];
  inferenceMs: number;
}

/** What the pipeline knows of the daemon's health; the composition root adds the sinks' part and publishes it. */
export type ListeningHealth = Omit<HealthSnapshot, "sinkFailures" | "faults">;

/**
 * The listening pipeline: source → ring buffer → windows (level, volume gate) → one inference loop → episode
 * state machine → events. The loop never waits for the sinks; when inference falls behind a live source, the
 * oldest waiting windows are dropped and counted (a lossless source — fast file replay — is paused instead).
 */
export class ListeningPipeline {
  readonly name = "pipeline";
  private readonly cutter: WindowCutter;
  private readonly gate: VolumeGate;
  private readonly tracker: EpisodeTracker;
  private readonly queue: QueuedWindow[] = [];
  private pumping: Promise<void> | null = null;
  private spaceWaiters: Array<() => void> = [];
  private dropped = 0;
  private processed = 0;
  private msPerWindow = 0;
  private readonly startedAt = Date.now();
  private replayEpochMs: number;
  private detectionEnabled: boolean;
  private unsubscribe: (() => void) | null = null;
  private stopping = false;
  private capture: CaptureStatus = "offline";
  private inferenceFailures = 0;
  /** Resolves when the source has ended and every window has been handled (file replay). */
  readonly finished: Promise<void>;
  /** Why the input (file, stdin) ended in failure, once `finished`; null when it simply ended. */
  inputError: Error | null = null;
  private resolveFinished!: () => void;

  constructor(private readonly o: ListeningPipelineOptions) {
    this.cutter = new WindowCutter(o.windows.hopSec);
    this.gate = new VolumeGate(o.windows.gate);
    this.tracker = new EpisodeTracker(o.detection, o.analyzer?.models ?? NO_MODELS, o.newEpisodeId);
    this.replayEpochMs = o.replayEpochMs ?? Date.now();
    this.detectionEnabled = o.detection.enabled;
    const settings = o.control?.get();
    if (settings) this.applySettings(settings.enabled, settings.sensitivity);
    this.finished = new Promise((r) => {
      this.resolveFinished = r;
    });
  }

  async start(): Promise<void> {
    const { source, control, logger } = this.o;
    this.unsubscribe =
      control?.onChange((s, from) => {
        logger.info({ settings: s, from }, "detection settings changed");
        this.applySettings(s.enabled, s.sensitivity);
      }) ?? null;
    this.replayEpochMs = this.o.replayEpochMs ?? Date.now();
    await source.start({
      data: (samples) => this.onSamples(samples),
      status: (status, detail) => {
        this.capture = status;
        // a new stream: an analyzer's state over past windows (the sequence model's history) starts afresh
        if (status === "online") this.o.analyzer?.reset?.();
        const live = !source.replayClock && !source.lossless;
        logger[status === "online" || !live ? "info" : "warn"](
          { status, detail, restarts: source.restarts },
          "capture",
        );
        this.o.emit({ type: "capture", at: Date.now(), status, restarts: source.restarts, detail });
      },
    });
    void source.done
      .catch((err) => {
        this.inputError = err as Error;
        logger.error({ err: (err as Error).message }, "input failed");
      })
      .then(async () => {
        await this.drain();
        this.resolveFinished();
      });
  }

  private applySettings(enabled: boolean, sensitivity: number): void {
    const wasEnabled = this.detectionEnabled;
    this.detectionEnabled = enabled && this.o.detection.enabled;
    this.tracker.setThreshold(thresholdForSensitivity(this.o.detection.threshold, sensitivity));
    if (wasEnabled && !this.detectionEnabled) for (const e of this.tracker.close()) this.o.emit(e);
  }

  private onSamples(samples: Float32Array): void | Promise<void> {
    this.o.onAudio?.(samples);
    this.cutter.push(samples, (window) => {
      const atMs = this.o.source.replayClock ? this.replayEpochMs + window.endSec * 1000 : Date.now();
      if (!this.o.source.lossless && this.queue.length >= this.o.inference.maxQueuedWindows) {
        this.queue.shift();
        this.dropped++;
      }
      this.queue.push({ window, atMs });
    });
    this.kick();
    if (this.o.source.lossless && this.queue.length >= this.o.inference.maxQueuedWindows) {
      return new Promise<void>((r) => this.spaceWaiters.push(r));
    }
  }

  private kick(): void {
    if (!this.pumping && this.queue.length > 0) {
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
        if (this.queue.length > 0) this.kick();
      });
    }
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: QueuedWindow[] = [];
      const toAnalyse: QueuedWindow[] = [];
      const episodeOpen = this.tracker.current() !== null;
      while (batch.length < this.o.inference.maxBatch && this.queue.length > 0) {
        const item = this.queue.shift()!;
        batch.push(item);
        if (this.o.analyzer && this.gate.shouldAnalyse(item.window.levelDbfs, episodeOpen))
          toAnalyse.push(item);
      }
      this.releaseWaiters();
      const scored = new Map<QueuedWindow, Analysed>();
      if (toAnalyse.length > 0 && this.o.analyzer) {
        const t0 = performance.now();
        try {
          // reasons only for windows an episode could average them over (those over the threshold)
          const results = await this.o.analyzer.analyze(
            toAnalyse.map((q) => q.window.samples),
            { reasonsAbove: this.tracker.getThreshold() },
          );
          const inferenceMs = (performance.now() - t0) / toAnalyse.length;
          results.forEach((r, i) => {
            const scores = vetoedScores(r, this.o.detection.laughterVeto);
            if (this.o.windowVeto?.(r.embedding)) scores.cry = 0;
            toAnalyse[i].embedding = r.embedding;
            scored.set(toAnalyse[i], { scores, topClasses: topClasses(r.scores), inferenceMs });
          });
        } catch (err) {
          this.inferenceFailures++;
          this.o.logger.error({ err: (err as Error).message }, "inference failed; windows skipped");
        }
        const ms = (performance.now() - t0) / toAnalyse.length;
        this.msPerWindow = this.msPerWindow === 0 ? ms : this.msPerWindow * 0.9 + ms * 0.1;
      }
      for (const item of batch) this.finishWindow(item, scored.get(item) ?? null);
    }
  }

  /** `analysed` is null when the volume gate skipped the window (or inference failed). */
  private finishWindow(item: QueuedWindow, analysed: Analysed | null): void {
    const { window, atMs } = item;
    this.processed++;
    const scores = analysed?.scores ?? GATED;
    if (!analysed || scores.cry < this.tracker.getThreshold() / 2)
      this.gate.observeBackground(window.levelDbfs);
    this.o.emit({
      type: "window",
      at: atMs,
      timeSec: window.startSec,
      levelDbfs: window.levelDbfs,
      cry: scores.cry,
      yamnetCry: scores.yamnetCry,
      gated: analysed === null,
      ...(analysed && { topClasses: analysed.topClasses, inferenceMs: analysed.inferenceMs }),
      embedding: item.embedding,
    });
    if (!this.detectionEnabled) return;
    const events = this.tracker.push({
      startSec: window.startSec,
      endSec: window.endSec,
      levelDbfs: window.levelDbfs,
      atMs,
      ...scores,
    });
    for (const e of events) this.o.emit(e);
  }

  private releaseWaiters(): void {
    if (this.queue.length < this.o.inference.maxQueuedWindows) {
      const waiters = this.spaceWaiters;
      this.spaceWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Waits until every queued window has been analysed. */
  async drain(): Promise<void> {
    while (this.pumping || this.queue.length > 0) {
      this.kick();
      await this.pumping;
    }
  }

  health(): ListeningHealth {
    return {
      capture: this.capture,
      inferenceMsPerWindow: Math.round(this.msPerWindow * 100) / 100,
      droppedWindows: this.dropped,
      processedWindows: this.processed,
      uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
      detectionEnabled: this.detectionEnabled,
      modelMissing: this.o.analyzer === null,
    };
  }

  /** Stops the source, analyses what is queued, and closes the open episode. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.unsubscribe?.();
    await this.o.source.stop();
    this.releaseWaiters();
    await this.drain();
    for (const e of this.tracker.close()) this.o.emit(e);
    this.resolveFinished();
  }

  get stats() {
    return { dropped: this.dropped, processed: this.processed, inferenceFailures: this.inferenceFailures };
  }
}
