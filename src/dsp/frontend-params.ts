/** YAMNet's frontend, from its model card (see ../shared/README.md). Every module that cuts or featurises audio uses these. */
export const YAMNET_FRONTEND = {
  sampleRate: 16000,
  stftWindowSamples: 400, // 25 ms periodic Hann
  stftHopSamples: 160, // 10 ms
  fftSize: 512,
  melBands: 64,
  melMinHz: 125,
  melMaxHz: 7500,
  logOffset: 0.001,
  patchFrames: 96, // 0.96 s
  patchHopFrames: 48, // 0.48 s
} as const;

/** Samples of 16 kHz audio that produce exactly one 96-frame patch: 400 + 95 × 160 = 15600. */
export const PATCH_WINDOW_SAMPLES =
  YAMNET_FRONTEND.stftWindowSamples + (YAMNET_FRONTEND.patchFrames - 1) * YAMNET_FRONTEND.stftHopSamples;
/** Samples between consecutive patches: 48 × 160 = 7680 (0.48 s). */
export const PATCH_HOP_SAMPLES = YAMNET_FRONTEND.patchHopFrames * YAMNET_FRONTEND.stftHopSamples;
export const PATCH_SIZE = YAMNET_FRONTEND.patchFrames * YAMNET_FRONTEND.melBands;

/** AudioSet class indices whose max is YAMNet's own cry score. */
export const YAMNET_CRY_CLASSES = [19, 20, 21] as const;
