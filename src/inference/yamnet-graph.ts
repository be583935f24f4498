import type {
  ConvOptions,
  TfliteModel,
  TfliteOperator,
  TfliteSubgraph,
  TfliteTensor,
} from "./tflite/model.js";
import { constantData } from "./tflite/model.js";
import { ActivationFunction, BuiltinOperator, operatorName, Padding, TensorType } from "./tflite/schema.js";
import { readFloat16, readFloat32, transpose } from "./tflite/tensor-data.js";
import {
  type ImportedLayer,
  type LayerActivation,
  type LayerKernel,
  YAMNET_CLASSES,
  YAMNET_CONV_LAYERS,
  YAMNET_EMBEDDING_SIZE,
  YAMNET_STRIDE2_LAYERS,
  YamnetImportError,
} from "./yamnet-layers.js";

/** A constant tensor resolved through DEQUANTIZE ops, with its quantization. */
interface ConstTensor {
  tensor: TfliteTensor;
  data: Uint8Array;
}

/**
 * Follows YAMNet through a TFLite operator graph: the conv stack from the first convolution over a 96×64×1 patch,
 * the global average pool and the dense classifier, converting each layer's weights to TF.js layout.
 */
export class GraphWalker {
  private readonly sg: TfliteSubgraph;
  private readonly producer = new Map<number, TfliteOperator>();
  private readonly consumers = new Map<number, TfliteOperator[]>();
  private readonly visited = new Set<number>();

  constructor(
    private readonly model: TfliteModel,
    private readonly file: string,
  ) {
    this.sg = model.subgraphs[0]!;
    for (const op of this.sg.operators) {
      for (const t of op.outputs) this.producer.set(t, op);
      for (const t of op.inputs) {
        if (t < 0) continue;
        const list = this.consumers.get(t) ?? [];
        list.push(op);
        this.consumers.set(t, list);
      }
    }
  }

  private fail(problem: string): never {
    throw new YamnetImportError(this.file, problem);
  }

  private tensor(i: number): TfliteTensor {
    return this.sg.tensors[i]!;
  }

  private opLabel(op: TfliteOperator): string {
    return `operator ${op.index} (${operatorName(op.opcode)})`;
  }

  walk(): { layers: ImportedLayer[]; inputTensor: number } {
    const isPatch = (shape: number[]) =>
      shape.length === 4 && shape[1] === 96 && shape[2] === 64 && shape[3] === 1;
    const start = this.sg.operators.find(
      (op) => op.opcode === BuiltinOperator.CONV_2D && isPatch(this.tensor(op.inputs[0]!).shape),
    );
    if (!start) {
      this.fail("no CONV_2D operator takes a 96×64×1 log-mel patch, so this is not a YAMNet model");
    }
    const layers: ImportedLayer[] = [];
    let op: TfliteOperator = start;
    this.visited.add(start.index);
    let hwc = [96, 64, 1];
    // The conv stack: CONV_2D / DEPTHWISE_CONV_2D operators chained output → input.
    while (op.opcode === BuiltinOperator.CONV_2D || op.opcode === BuiltinOperator.DEPTHWISE_CONV_2D) {
      const layer = this.convLayer(op, layers.length + 1, hwc);
      layers.push(layer);
      hwc = layer.outputShape;
      op = this.next(op);
      if (op.opcode === BuiltinOperator.RELU || op.opcode === BuiltinOperator.RELU6) {
        if (layer.activation !== "linear")
          this.fail(`${this.opLabel(op)} follows an already activated layer`);
        layer.activation = op.opcode === BuiltinOperator.RELU ? "relu" : "relu6";
        op = this.next(op);
      }
    }
    this.checkConvStack(layers);

    // Global average pool: MEAN over height and width (or AVERAGE_POOL_2D over the whole map).
    if (op.opcode === BuiltinOperator.MEAN) {
      const axes = this.constInt32(op.inputs[1]!);
      if (axes.join(",") !== "1,2")
        this.fail(`${this.opLabel(op)} averages over axes [${axes}], expected [1,2]`);
    } else if (op.opcode !== BuiltinOperator.AVERAGE_POOL_2D) {
      this.fail(`the conv stack is followed by ${this.opLabel(op)}, expected MEAN (global average pool)`);
    }
    op = this.next(op);
    while (op.opcode === BuiltinOperator.RESHAPE || op.opcode === BuiltinOperator.SQUEEZE) op = this.next(op);
    if (op.opcode !== BuiltinOperator.FULLY_CONNECTED) {
      this.fail(`the global average pool is followed by ${this.opLabel(op)}, expected FULLY_CONNECTED`);
    }
    const dense = this.denseLayer(op, layers.length + 1);
    layers.push(dense);
    const after = this.next(op);
    if (after.opcode !== BuiltinOperator.LOGISTIC) {
      this.fail(`the classifier is followed by ${this.opLabel(after)}, expected LOGISTIC (sigmoid scores)`);
    }
    return { layers, inputTensor: start.inputs[0]! };
  }

  /** The single operator consuming `op`'s output. */
  private next(op: TfliteOperator): TfliteOperator {
    const users = this.consumers.get(op.outputs[0]!) ?? [];
    if (users.length !== 1) {
      this.fail(`the output of ${this.opLabel(op)} feeds ${users.length} operators, expected exactly 1`);
    }
    const user = users[0]!;
    // A corrupt file can wire a cycle; the walk must end.
    if (this.visited.has(user.index)) this.fail(`the operator graph loops back to ${this.opLabel(user)}`);
    this.visited.add(user.index);
    return user;
  }

  /** A constant input, following DEQUANTIZE operators back to the stored tensor. */
  private constant(index: number, what: string): ConstTensor {
    let tensor = this.tensor(index);
    for (let hops = 0; ; hops++) {
      const data = constantData(this.model, tensor);
      if (data) return { tensor, data };
      if (hops > 4) this.fail(`${what} (tensor ${index}) goes through more than 4 DEQUANTIZE operators`);
      const producer = this.producer.get(tensor.index);
      if (producer?.opcode !== BuiltinOperator.DEQUANTIZE) {
        this.fail(`${what} (tensor ${index}) is neither a constant nor produced by DEQUANTIZE of a constant`);
      }
      tensor = this.tensor(producer.inputs[0]!);
    }
  }

  private constInt32(index: number): number[] {
    const c = this.constant(index, "reduction axes");
    if (c.tensor.type !== TensorType.INT32) this.fail(`tensor ${index} should be int32 axes`);
    const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
    return Array.from({ length: c.data.byteLength / 4 }, (_, i) => view.getInt32(4 * i, true));
  }

  private activation(a: ActivationFunction, op: TfliteOperator): LayerActivation {
    if (a === ActivationFunction.NONE) return "linear";
    if (a === ActivationFunction.RELU) return "relu";
    if (a === ActivationFunction.RELU6) return "relu6";
    return this.fail(
      `${this.opLabel(op)} has fused activation ${ActivationFunction[a] ?? a}, expected RELU or RELU6`,
    );
  }

  private convLayer(op: TfliteOperator, index: number, inHwc: number[]): ImportedLayer {
    const opts = op.options as ConvOptions | null;
    if (!opts || (opts.kind !== "conv2d" && opts.kind !== "depthwise")) {
      this.fail(`${this.opLabel(op)} has no convolution options`);
    }
    if (opts.strideW !== opts.strideH)
      this.fail(`${this.opLabel(op)} has unequal strides ${opts.strideH}×${opts.strideW}`);
    if (opts.dilationW !== 1 || opts.dilationH !== 1) this.fail(`${this.opLabel(op)} is dilated`);
    const depthwise = opts.kind === "depthwise";
    const w = this.constant(op.inputs[1]!, `weights of ${this.opLabel(op)}`);
    const shape = w.tensor.shape;
    if (shape.length !== 4) this.fail(`weights of ${this.opLabel(op)} have shape [${shape}], expected 4-D`);
    let kernelShape: number[];
    let perm: number[];
    let channels: number;
    let channelDim: number;
    if (depthwise) {
      // TFLite [1, H, W, C·M] → TF.js [H, W, C, M] (YAMNet: M = 1)
      if (shape[0] !== 1 || opts.depthMultiplier !== 1 || shape[3] !== inHwc[2]) {
        this.fail(
          `depthwise weights of ${this.opLabel(op)} have shape [${shape}] for ${inHwc[2]} input channels`,
        );
      }
      kernelShape = [shape[1]!, shape[2]!, shape[3]!, 1];
      perm = [1, 2, 3, 0];
      channels = shape[3]!;
      channelDim = 3;
    } else {
      // TFLite OHWI → TF.js HWIO
      if (shape[3] !== inHwc[2]) {
        this.fail(`weights of ${this.opLabel(op)} have shape [${shape}] for ${inHwc[2]} input channels`);
      }
      kernelShape = [shape[1]!, shape[2]!, shape[3]!, shape[0]!];
      perm = [1, 2, 3, 0];
      channels = shape[0]!;
      channelDim = 0;
    }
    const inputScale = this.tensor(op.inputs[0]!).quantization?.scale[0] ?? null;
    const kernel = this.kernel(w, perm, channelDim, op);
    const bias = this.bias(op, channels, kernel, inputScale);
    const stride = opts.strideH;
    const same = opts.padding === Padding.SAME;
    const out = (n: number, k: number) => (same ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1);
    const outputShape = [out(inHwc[0]!, kernelShape[0]!), out(inHwc[1]!, kernelShape[1]!), channels];
    const declared = this.tensor(op.outputs[0]!).shape.slice(1);
    if (declared.join(",") !== outputShape.join(",")) {
      this.fail(
        `${this.opLabel(op)} declares output [${declared}], but its weights and stride give [${outputShape}]`,
      );
    }
    return {
      index,
      op: depthwise ? "depthwise" : "conv2d",
      tfliteOperator: op.index,
      kernelShape,
      stride,
      padding: same ? "same" : "valid",
      activation: this.activation(opts.activation, op),
      kernel,
      bias,
      outputShape,
    };
  }

  private denseLayer(op: TfliteOperator, index: number): ImportedLayer {
    const opts = op.options;
    if (opts?.kind !== "fully_connected") this.fail(`${this.opLabel(op)} has no fully-connected options`);
    if (opts.weightsFormat !== 0) this.fail(`${this.opLabel(op)} uses shuffled weights, not supported`);
    const w = this.constant(op.inputs[1]!, `weights of ${this.opLabel(op)}`);
    const shape = w.tensor.shape;
    if (shape.length !== 2 || shape[1] !== YAMNET_EMBEDDING_SIZE || shape[0] !== YAMNET_CLASSES) {
      this.fail(
        `the classifier's weights have shape [${shape}], expected [${YAMNET_CLASSES}, ${YAMNET_EMBEDDING_SIZE}] (521 classes from the 1024-d embedding)`,
      );
    }
    const inputScale = this.tensor(op.inputs[0]!).quantization?.scale[0] ?? null;
    const kernel = this.kernel(w, [1, 0], 0, op);
    const bias = this.bias(op, shape[0]!, kernel, inputScale);
    return {
      index,
      op: "dense",
      tfliteOperator: op.index,
      kernelShape: [shape[1]!, shape[0]!],
      stride: 1,
      padding: "valid",
      activation: this.activation(opts.activation, op),
      kernel,
      bias,
      outputShape: [shape[0]!],
    };
  }

  /**
   * Transposes a constant weight tensor into TF.js layout (`perm[k]` = source axis of target axis k), keeping
   * int8 values quantized. `channelDim` is the source axis of the output channel.
   */
  private kernel(w: ConstTensor, perm: number[], channelDim: number, op: TfliteOperator): LayerKernel {
    const { tensor } = w;
    const shape = tensor.shape;
    const label = `weights of ${this.opLabel(op)}`;
    if (tensor.type === TensorType.INT8) {
      const q = tensor.quantization;
      if (!q) this.fail(`${label} are int8 without quantization parameters`);
      if (q.zeroPoint.some((z) => z !== 0))
        this.fail(`${label} have a non-zero zero point (asymmetric weights)`);
      if (q.scale.length > 1 && q.quantizedDimension !== channelDim) {
        this.fail(`${label} are quantized along dimension ${q.quantizedDimension}, expected ${channelDim}`);
      }
      if (q.scale.length !== 1 && q.scale.length !== shape[channelDim]) {
        this.fail(`${label} have ${q.scale.length} scales for ${shape[channelDim]} channels`);
      }
      if (q.scale.some((s) => !(s > 0) || !Number.isFinite(s)))
        this.fail(`${label} have a non-positive scale`);
      const src = new Int8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
      return {
        quantization: q.scale.length === 1 ? "int8-per-tensor" : "int8-per-channel",
        values: transpose(src, shape, perm, Int8Array),
        scales: Float32Array.from(q.scale),
      };
    }
    if (tensor.type === TensorType.FLOAT32 || tensor.type === TensorType.FLOAT16) {
      const src = tensor.type === TensorType.FLOAT32 ? readFloat32(w.data) : readFloat16(w.data);
      return { quantization: "float32", values: transpose(src, shape, perm, Float32Array) };
    }
    return this.fail(
      `${label} have type ${TensorType[tensor.type] ?? tensor.type}, expected int8 or float32`,
    );
  }

  private bias(
    op: TfliteOperator,
    channels: number,
    kernel: LayerKernel,
    inputScale: number | null,
  ): Float32Array {
    const index = op.inputs[2];
    if (index === undefined || index < 0) return new Float32Array(channels);
    const b = this.constant(index, `bias of ${this.opLabel(op)}`);
    const label = `bias of ${this.opLabel(op)}`;
    if (b.tensor.shape.reduce((x, y) => x * y, 1) !== channels) {
      this.fail(`${label} has shape [${b.tensor.shape}], expected ${channels} values`);
    }
    if (b.tensor.type === TensorType.FLOAT32) return readFloat32(b.data);
    if (b.tensor.type !== TensorType.INT32) {
      this.fail(`${label} has type ${TensorType[b.tensor.type] ?? b.tensor.type}, expected float32 or int32`);
    }
    // int32 bias: scale = input scale × weight scale (per channel), as the TFLite quantization spec requires.
    if (kernel.quantization === "float32" || inputScale === null) {
      this.fail(`${label} is int32, but the weights or the input are not quantized`);
    }
    const ws = kernel.scales;
    const bq = b.tensor.quantization;
    const view = new DataView(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    const out = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const expected = inputScale * ws[c % ws.length]!;
      const stored = bq ? bq.scale[bq.scale.length === 1 ? 0 : c]! : expected;
      if (Math.abs(stored - expected) > 1e-3 * expected) {
        this.fail(`${label} channel ${c} has scale ${stored}, expected input × weight scale = ${expected}`);
      }
      out[c] = view.getInt32(4 * c, true) * stored;
    }
    return out;
  }

  private checkConvStack(layers: ImportedLayer[]): void {
    if (layers.length !== YAMNET_CONV_LAYERS) {
      this.fail(`the conv stack has ${layers.length} layers, YAMNet has ${YAMNET_CONV_LAYERS}`);
    }
    for (const layer of layers) {
      const expectedOp = layer.index === 1 ? "conv2d" : layer.index % 2 === 0 ? "depthwise" : "conv2d";
      if (layer.op !== expectedOp) {
        this.fail(`layer ${layer.index} is ${layer.op}, YAMNet has ${expectedOp} there`);
      }
      const expectedStride = YAMNET_STRIDE2_LAYERS.includes(layer.index) ? 2 : 1;
      if (layer.stride !== expectedStride) {
        this.fail(`layer ${layer.index} has stride ${layer.stride}, YAMNet has ${expectedStride}`);
      }
      if (layer.padding !== "same") this.fail(`layer ${layer.index} has VALID padding, YAMNet uses SAME`);
    }
    const last = layers[layers.length - 1]!.outputShape;
    if (last.join(",") !== `3,2,${YAMNET_EMBEDDING_SIZE}`) {
      this.fail(`the conv stack ends in [${last}], expected [3,2,${YAMNET_EMBEDDING_SIZE}]`);
    }
  }
}
