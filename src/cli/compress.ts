/**
 * `distill --compress prune=F,int8`: compressed students, the story of a MobileNet squeezed onto an
 * ARM board. The student MLP's Linear layers become CompressedLinear layers:
 *
 *   prune=F  magnitude pruning with fixed masks: after a dense phase of the first tenth of the epochs
 *            (floor(epochs / 10); at initialisation under 10 epochs) the fraction F of each weight
 *            matrix with the smallest |w| is set to 0 (biases are kept), and those weights are set
 *            to 0 again after every optimiser step, so they are exactly 0 in every forward and in
 *            the file.
 *   int8     per-tensor symmetric int8 fake quantisation (fakeQuantize on [-127, 127], zero point 0,
 *            straight-through gradient) of each Linear's weights and of its input activations:
 *            weight scale = max|W| / 127 at every forward; input scale = m / 127 where m is a moving
 *            average of the batches' max|x| (PyTorch's MovingAverageMinMaxObserver, averaging constant
 *            0.01: the first batch sets it, then m += 0.01 (max|x| - m)), updated in training mode and
 *            frozen in eval mode, so that inference does not depend on the batch.
 *
 * Model files of compressed arms store each weight matrix as int8 (dtype 'int8', base64 of the
 * Int8Array, pruned weights as 0) with its `scale` and `inputScale`; biases stay float32. Size in bytes
 * (the table's "size"): per Linear, 1 byte per kept int8 weight (4 without int8) + a 1-bit mask per
 * weight when pruned (ceil(n / 8) bytes) + the two float32 scales with int8, + 4 bytes per bias;
 * an uncompressed network is 4 bytes per parameter. (The file itself keeps the pruned zeros: it
 * stores dense int8 in base64 JSON; the size counts what a packed format would ship.)
 */
import { type Tensor, fakeQuantize, linear, nn, noGrad } from '../index.js';
import type { CompressSpec } from './args.js';
import type { FitOptions } from './train.js';

/** Symmetric int8 levels (the narrow range: -128 is never used, so the scale is max / 127). */
const QMAX = 127;
const LEVELS = { zeroPoint: 0, qmin: -QMAX, qmax: QMAX } as const;
/** PyTorch MovingAverageMinMaxObserver's averaging constant. */
export const INPUT_AVERAGING = 0.01;
const F32_NORMAL_MIN = 1.1754943508222875e-38;
/** fakeQuantize's largest scale (its float32 reciprocal stays normal). */
const MAX_SCALE = 2 ** 126;

export function describeCompress(c: CompressSpec): string {
  return [...(c.prune > 0 ? [`prune=${c.prune}`] : []), ...(c.int8 ? ['int8'] : [])].join(',');
}

function absMax(v: Float32Array, what: string): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (!(a <= m)) m = a; // NaN lands here and is reported below
  }
  if (!Number.isFinite(m)) throw new Error(`compressed layer: non-finite ${what} (max |value| = ${m}): training diverged`);
  return m;
}

/** The int8 scale of values whose max |.| is m (1 when they are all 0: every level is then 0). */
function scaleOf(m: number): number {
  return m > 0 ? Math.max(Math.fround(m / QMAX), F32_NORMAL_MIN) : 1;
}

/** A Linear layer of a compressed student (see the file's comment); the same parameters as nn.Linear. */
export class CompressedLinear extends nn.Linear {
  /** Moving average of max|input| (int8), null before the first training batch. */
  inputAbsMax: number | null = null;
  /** Scales read from a model file: used instead of the computed ones. */
  fixedScales: { weight: number; input: number } | null = null;
  /** Pruned weights (flat indices), null before pruning. */
  pruned: Int32Array | null = null;

  constructor(inFeatures: number, outFeatures: number, readonly spec: CompressSpec, opts: nn.InitOptions = {}) {
    super(inFeatures, outFeatures, opts);
  }

  weightScale(): number {
    return this.fixedScales?.weight ?? scaleOf(absMax(this.weight.hostView(), 'weights'));
  }

  /** The input scale in eval mode (the frozen moving average; null before any training batch). */
  inputScale(): number | null {
    return this.fixedScales?.input ?? (this.inputAbsMax === null ? null : scaleOf(this.inputAbsMax));
  }

  override forward(x: Tensor): Tensor {
    if (!this.spec.int8) return linear(x, this.weight, this.bias);
    // 1. The input scale: observed in training mode, frozen in eval mode (the batch's own before any training).
    let sx = this.training ? null : this.inputScale();
    if (sx === null) {
      const m = absMax(x.hostView(), 'activations');
      if (this.training) this.inputAbsMax = this.inputAbsMax === null ? m : this.inputAbsMax + INPUT_AVERAGING * (m - this.inputAbsMax);
      sx = scaleOf(this.training ? this.inputAbsMax! : m);
    }
    // 2. Fake-quantised input and weights (pruned weights are 0 and stay 0), float32 bias.
    return linear(fakeQuantize(x, sx, LEVELS), fakeQuantize(this.weight, this.weightScale(), LEVELS), this.bias);
  }

  /** Fix the mask: the fraction `spec.prune` of the weights with the smallest |w| (ties by index). */
  prune(): void {
    const w = this.weight.hostView();
    const k = Math.floor(this.spec.prune * w.length);
    const order = Int32Array.from(w.keys()).sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]) || a - b);
    this.pruned = order.slice(0, k).sort();
    this.applyMask();
  }

  /** Set the pruned weights to 0 (after every optimiser step). */
  applyMask(): void {
    if (!this.pruned) return;
    const w = this.weight.dataSync();
    for (const i of this.pruned) w[i] = 0;
    this.weight.assign(this.weight.backend.upload(w, false));
  }

  /** The weights as int8 levels with their scales (what the model file stores). */
  int8Weights(): { levels: Int8Array; scale: number; inputScale: number } {
    const scale = this.weightScale();
    const inputScale = this.inputScale();
    if (inputScale === null) throw new Error('compressed layer: no input scale yet (the layer has not been trained)');
    const y = noGrad(() => fakeQuantize(this.weight, scale, LEVELS)).dataSync();
    return { levels: Int8Array.from(y, (v) => Math.round(v / scale)), scale, inputScale };
  }
}

export function compressedLayers(model: InstanceType<typeof nn.Sequential>): [string, CompressedLinear][] {
  return model.layers.flatMap((l, i) => (l instanceof CompressedLinear ? [[String(i), l] as [string, CompressedLinear]] : []));
}

/** Model size in bytes as the file's comment defines it. */
export function modelBytes(model: InstanceType<typeof nn.Sequential>, spec: CompressSpec | undefined): number {
  if (!spec) return 4 * model.numParameters();
  let bytes = 0;
  for (const [, l] of compressedLayers(model)) {
    const n = l.weight.size;
    const kept = n - Math.floor(spec.prune * n);
    bytes += (spec.int8 ? 1 : 4) * kept + (spec.prune > 0 ? Math.ceil(n / 8) : 0) + (spec.int8 ? 8 : 0) + 4 * (l.bias?.size ?? 0);
  }
  return bytes;
}

/**
 * Wrap a fit's options for a compressed student: prune at the start of epoch floor(epochs / 10) + 1
 * and re-apply the masks after every optimiser step.
 */
export function compressedFit(model: InstanceType<typeof nn.Sequential>, spec: CompressSpec, f: FitOptions): FitOptions {
  const layers = compressedLayers(model).map(([, l]) => l);
  const pruneEpoch = Math.floor(f.epochs / 10) + 1;
  if (spec.prune === 0) return f;
  return {
    ...f,
    step: (epoch, s) => {
      if (epoch === pruneEpoch && s === 1) layers.forEach((l) => l.prune());
      return f.step(epoch, s);
    },
    afterStep: () => layers.forEach((l) => l.applyMask()),
  };
}

/** What the report records of a compressed arm. */
export function compressInfo(spec: CompressSpec, epochs: number): Record<string, unknown> {
  return {
    compress: describeCompress(spec),
    ...(spec.prune > 0 ? { prunedAfterEpochs: Math.floor(epochs / 10) } : {}),
  };
}

// ---- model files -------------------------------------------------------------------------------

export interface Int8Entry {
  shape: number[];
  dtype: 'int8';
  /** Weight scale: w = level * scale. */
  scale: number;
  /** Scale of the layer's input activations (fakeQuantize in the forward, as in training). */
  inputScale: number;
  /** base64 of the Int8Array of levels in [-127, 127]. */
  data: string;
}

export function int8Entries(model: InstanceType<typeof nn.Sequential>): Record<string, Int8Entry> {
  const out: Record<string, Int8Entry> = {};
  for (const [name, l] of compressedLayers(model)) {
    if (!l.spec.int8) continue;
    const { levels, scale, inputScale } = l.int8Weights();
    out[`${name}.weight`] = { shape: [...l.weight.shape], dtype: 'int8', scale, inputScale, data: Buffer.from(levels.buffer).toString('base64') };
  }
  return out;
}

/** base64 characters of n bytes (padded). */
export const base64CharsOfBytes = (n: number) => 4 * Math.ceil(n / 3);

function checkScale(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < F32_NORMAL_MIN || v > MAX_SCALE || Math.fround(v) !== v) {
    throw new Error(`${what} must be a float32 number in [${F32_NORMAL_MIN}, 2^126], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A pruned weight matrix read from a file holds at least its pruned fraction of zeros. */
export function checkPrunedZeros(w: Int8Array | Float32Array, name: string, spec: CompressSpec): void {
  let zeros = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  const pruned = Math.floor(spec.prune * w.length);
  if (zeros < pruned) throw new Error(`parameter ${name} has ${zeros} zero weights, fewer than the ${pruned} of prune=${spec.prune}`);
}

/**
 * Decode an int8 weight entry whose shape was checked against the layer: its base64 length, its
 * levels (in [-127, 127]), its scales, and at least the pruned fraction of zeros. Returns the float32
 * weights (level * scale) and the scales the layer must use.
 */
export function readInt8Entry(
  v: Partial<Int8Entry>, name: string, n: number, spec: CompressSpec,
): { weights: Float32Array; scales: { weight: number; input: number } } {
  const weight = checkScale(v.scale, `parameter ${name}: scale`);
  const input = checkScale(v.inputScale, `parameter ${name}: inputScale`);
  if (typeof v.data !== 'string' || v.data.length !== base64CharsOfBytes(n)) {
    throw new Error(`parameter ${name} must be ${base64CharsOfBytes(n)} base64 characters (${n} int8), got ${typeof v.data === 'string' ? v.data.length : typeof v.data}`);
  }
  const b = Buffer.from(v.data, 'base64');
  if (b.length !== n) throw new Error(`parameter ${name} is not valid base64 (${b.length} bytes decoded, ${n} expected)`);
  const levels = new Int8Array(b.buffer, b.byteOffset, n);
  const bad = levels.findIndex((q) => q < -QMAX);
  if (bad >= 0) throw new Error(`parameter ${name} holds the level ${levels[bad]} at index ${bad} (symmetric int8 levels are in [-127, 127])`);
  checkPrunedZeros(levels, name, spec);
  return { weights: Float32Array.from(levels, (q) => q * weight), scales: { weight, input } };
}
