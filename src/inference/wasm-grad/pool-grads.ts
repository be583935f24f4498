import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as TF from "@tensorflow/tfjs-core";
import { tf } from "../backend.js";
import { input, type KernelArgs, withScope } from "./wasm-ops.js";

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * MaxPoolGrad: each window's dy goes to the window's first maximum in scan order (rows, then columns), as on
 * the cpu backend, so ties (common after ReLU) resolve the same way. The wasm backend's own kernel is about
 * as fast (convtrain bench) but disagrees with the cpu backend already on a 1×1×2 input with "same" padding
 * (the max-pool property test fails with it), so this one replaces it. One pass, channels innermost.
 */
export function maxPoolGrad(args: KernelArgs): TF.TensorInfo {
  const dy = input(args, "dy", "MaxPoolGrad");
  const x = input(args, "input", "MaxPoolGrad");
  const a = args.attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  return withScope(args.backend as BackendWasm, (s) => {
    const dx = s.alloc(x.shape);
    const xs = s.view(x);
    const dys = s.view(dy);
    const acc = new Float64Array(xs.length);
    const best = new Float32Array(C);
    const where = new Int32Array(C);
    let o = 0;
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        const hStart = Math.max(0, oh * SH - padTop);
        const hEnd = Math.min(H, oh * SH - padTop + FH);
        for (let ow = 0; ow < OW; ow++, o += C) {
          const wStart = Math.max(0, ow * SW - padLeft);
          const wEnd = Math.min(W, ow * SW - padLeft + FW);
          best.fill(Number.NEGATIVE_INFINITY);
          where.fill(-1);
          for (let h = hStart; h < hEnd; h++) {
            for (let w = wStart; w < wEnd; w++) {
              const base = ((n * H + h) * W + w) * C;
              for (let c = 0; c < C; c++) {
                if (xs[base + c] > best[c]) {
                  best[c] = xs[base + c];
                  where[c] = base + c;
                }
              }
            }
          }
          for (let c = 0; c < C; c++) if (where[c] >= 0) acc[where[c]] += dys[o + c];
        }
      }
    }
    s.view(dx).set(acc);
    return s.finish(dx, x.shape);
  });
}
