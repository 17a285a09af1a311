/**
 * `kd-kernels/webgpu`: the raw WebGPU kernels, for trainers with their own buffers. No Tensor, no
 * autograd: each method encodes the fused kernel into the caller's GPUCommandEncoder, reading and
 * writing the caller's GPUBuffers (usage STORAGE; float32 row-major, labels int32). The caller
 * submits. A gradient is written when its output buffer is given; its scale (a number, default 1)
 * is read only then.
 *
 * Every call is checked first, by the checks shared with `kd-kernels/native`
 * (src/kernels/raw_args.ts): an unknown option key is a TypeError naming it and listing the
 * accepted ones; wrong types (a non-buffer, a null scale) are TypeErrors; values out of range
 * (temperature 0, beta 2, weights not summing to 1) and buffers smaller than their shape needs
 * (rows * cols * 4 bytes, ...) are RangeErrors; so is an output buffer that is also an input or
 * another output. Nothing is encoded when a check fails.
 *
 *   const kernels = createKernels(device);
 *   const enc = device.createCommandEncoder();
 *   kernels.softmaxKL(enc, { student, teacher, rowLoss, gradStudent, rows, cols, temperature: 4,
 *                            divergence: 'forward-kl', studentGradScale: 1 / rows });
 *   device.queue.submit([enc.finish()]);
 *
 * The webgpu backend calls the same encode functions.
 */
import { KernelContext } from './backends/webgpu/context.js';
import { resolveDivergence } from './kernels/divergence.js';
import { encodeSoftmaxKL, type SoftmaxKLBuffers, type SoftmaxKLParams } from './backends/webgpu/softmax_kl.js';
import { encodeCrossEntropy, type CrossEntropyBuffers, type CrossEntropyParams } from './backends/webgpu/cross_entropy.js';
import { encodeHinton, type HintonBuffers, type HintonParams } from './backends/webgpu/hinton.js';
import { encodeMultiTeacherKL, type MultiTeacherBuffers, type MultiTeacherParams } from './backends/webgpu/multi_teacher.js';
import { encodeGramSimilarity, type GramBuffers, type GramParams } from './backends/webgpu/gram.js';
import { encodeMse, type MseBuffers, type MseParams } from './backends/webgpu/mse.js';
import { encodeMatmul } from './backends/webgpu/matmul.js';
import { encodeSum } from './backends/webgpu/reduce.js';
import { encodeFusedLinearKd, type FusedLinearBuffers } from './backends/webgpu/fused_linear.js';
import { GpuRuntime } from './backends/webgpu/runtime.js';
import { webgpuBackendOn } from './backends/webgpu/index.js';
import { defaultChunkSize } from './backends/fused_linear.js';
import type { Backend } from './backends/backend.js';
import { checkRawOptions, type ArrayHost, type RawFunction } from './kernels/raw_args.js';
import { describe } from './kernels/validate.js';

export { createWebGPUBackend, type WebGPUBackend, type DeviceOptions, type GpuStats } from './backends/webgpu/index.js';
export { acquireDevice } from './backends/webgpu/device.js';
export type {
  SoftmaxKLBuffers, SoftmaxKLParams, CrossEntropyBuffers, CrossEntropyParams, HintonBuffers, HintonParams,
  MultiTeacherBuffers, MultiTeacherParams, GramBuffers, GramParams, MseBuffers, MseParams,
};

/**
 * The options of a raw function: its buffers and parameters. Grad scales are numbers (default 1),
 * temperature defaults to 1, multi-teacher weights to uniform.
 */
export type RawOptions<T> = {
  [K in keyof T as K extends 'temperature' | 'weights' ? never : K]: K extends `${string}Scale`
    ? Exclude<T[K], null>
    : K extends 'teacherGradScales' ? number[] : T[K];
} & { [K in keyof T as K extends 'temperature' | 'weights' ? K : never]?: T[K] };

export interface MatmulOptions {
  a: GPUBuffer; b: GPUBuffer; c: GPUBuffer; m: number; k: number; n: number; transA?: boolean; transB?: boolean;
}
export interface SumOptions {
  x: GPUBuffer; out: GPUBuffer; rows: number; cols: number; axis: 'rows' | 'cols' | 'all'; scale?: number;
}

export interface WebGPUKernels {
  readonly device: GPUDevice;
  /**
   * Per row: T^2 * divergence; gradients w.r.t. student / teacher when their buffers are given.
   * 'jsd' with beta 0 is forward KL and with beta 1 reverse KL (TRL, Liger).
   */
  softmaxKL(enc: GPUCommandEncoder, a: RawOptions<SoftmaxKLBuffers & SoftmaxKLParams>): void;
  crossEntropy(enc: GPUCommandEncoder, a: RawOptions<CrossEntropyBuffers & CrossEntropyParams>): void;
  hinton(enc: GPUCommandEncoder, a: RawOptions<HintonBuffers & HintonParams>): void;
  multiTeacherKL(enc: GPUCommandEncoder, a: RawOptions<MultiTeacherBuffers & MultiTeacherParams>): void;
  gramSimilarity(enc: GPUCommandEncoder, a: RawOptions<GramBuffers & GramParams>): void;
  mse(enc: GPUCommandEncoder, a: RawOptions<MseBuffers & MseParams>): void;
  /** c[m, n] = op(a) op(b). */
  matmul(enc: GPUCommandEncoder, a: MatmulOptions): void;
  /** out = scale * sum over 'rows' ([cols]), 'cols' ([rows]) or 'all' ([1]). */
  sum(enc: GPUCommandEncoder, a: SumOptions): void;
  /**
   * Fused linear + KD, chunked (see FusedLinearKdOptions in kd-kernels/native for the math): every
   * chunk's GEMMs and fused loss encoded into `enc` (one submit). gradHidden is written, gradWeight
   * and gradBias are added to. Submit encoders in the order of the calls (their scratch is pooled).
   */
  fusedLinearKdLoss(enc: GPUCommandEncoder, a: FusedLinearKdOptions): void;
}

/** Buffers and parameters of fusedLinearKdLoss (shapes as in kd-kernels/native). */
export interface FusedLinearKdOptions {
  studentHidden: GPUBuffer; studentWeight: GPUBuffer; studentBias?: GPUBuffer | null;
  teacherHidden: GPUBuffer; teacherWeight: GPUBuffer; teacherBias?: GPUBuffer | null;
  rows: number; vocab: number; studentDim: number; teacherDim: number;
  labels?: GPUBuffer | null; ignoreIndex?: number;
  temperature?: number; divergence?: 'forward-kl' | 'reverse-kl' | 'jsd'; beta?: number; chunkSize?: number;
  softRow: GPUBuffer; hardRow?: GPUBuffer | null;
  gradHidden?: GPUBuffer | null; gradWeight?: GPUBuffer | null; gradBias?: GPUBuffer | null;
  softGradScale?: number; hardGradScale?: number;
}

function isBuffer(x: unknown): x is GPUBuffer {
  const b = x as GPUBuffer;
  return typeof x === 'object' && x !== null && typeof b.size === 'number' && typeof b.usage === 'number' && typeof b.destroy === 'function';
}

const host: ArrayHost<GPUBuffer> = {
  api: 'webgpu',
  array(name, x, dtype, count, shape) {
    if (!isBuffer(x)) throw new TypeError(`${name} must be a GPUBuffer of ${dtype} ${shape} (${count * 4} bytes), got ${describe(x)}`);
    if (x.size < count * 4) {
      throw new RangeError(`${name} must hold ${dtype} ${shape}: at least ${count * 4} bytes, got a GPUBuffer of ${x.size} bytes`);
    }
    return x;
  },
  alloc: () => null,
  length: () => null,
  sharesMemory: (a, b) => a === b,
};

/** The checked options (raw_args.ts): every key present; an absent optional buffer is null. */
type Checked = Record<string, any>;

function check(fn: RawFunction, enc: unknown, o: unknown): Checked {
  if (typeof enc !== 'object' || enc === null || typeof (enc as GPUCommandEncoder).beginComputePass !== 'function') {
    throw new TypeError(`webgpu.${fn}: the first argument must be a GPUCommandEncoder, got ${describe(enc)}`);
  }
  return checkRawOptions(host, fn, o);
}

/** A gradient's buffer and scale for the encode functions: both, or neither (undefined / null). */
const grad = (buffer: GPUBuffer | null, scale: number): [GPUBuffer | undefined, number | null] =>
  buffer ? [buffer, scale] : [undefined, null];

/** The raw kernel set on the caller's device (pipelines are compiled on first use and cached). */
export function createKernels(device: GPUDevice): WebGPUKernels {
  if (typeof device !== 'object' || device === null || typeof device.createComputePipeline !== 'function') {
    throw new TypeError(`createKernels: expected a GPUDevice, got ${describe(device)}`);
  }
  const ctx = new KernelContext(device);
  let fused: { rt: GpuRuntime; be: Backend } | null = null;
  return {
    device,
    softmaxKL(enc, a) {
      const v = check('softmaxKL', enc, a);
      const [gradStudent, studentGradScale] = grad(v.gradStudent, v.studentGradScale);
      const [gradTeacher, teacherGradScale] = grad(v.gradTeacher, v.teacherGradScale);
      encodeSoftmaxKL(ctx, enc, { student: v.student, teacher: v.teacher, rowLoss: v.rowLoss, gradStudent, gradTeacher, labels: v.labels }, {
        rows: v.rows, cols: v.cols, temperature: v.temperature, divergence: resolveDivergence(v.divergence, v.beta), beta: v.beta, studentGradScale, teacherGradScale,
        ignoreIndex: v.ignoreIndex,
      });
    },
    crossEntropy(enc, a) {
      const v = check('crossEntropy', enc, a);
      const [g, gradScale] = grad(v.grad, v.gradScale);
      encodeCrossEntropy(ctx, enc, { logits: v.logits, labels: v.labels, weight: v.weight, rowLoss: v.rowLoss, grad: g }, {
        rows: v.rows, cols: v.cols, labelSmoothing: v.labelSmoothing, ignoreIndex: v.ignoreIndex, gradScale,
      });
    },
    hinton(enc, a) {
      const v = check('hinton', enc, a);
      const [g, softGradScale] = grad(v.grad, v.softGradScale);
      encodeHinton(ctx, enc, {
        student: v.student, teacher: v.teacher, labels: v.labels, weight: v.weight, softRow: v.softRow, hardRow: v.hardRow, grad: g,
      }, {
        rows: v.rows, cols: v.cols, temperature: v.temperature, labelSmoothing: v.labelSmoothing, ignoreIndex: v.ignoreIndex,
        softGradScale, hardGradScale: g ? v.hardGradScale : null,
      });
    },
    multiTeacherKL(enc, a) {
      const v = check('multiTeacherKL', enc, a);
      const [gradStudent, studentGradScale] = grad(v.gradStudent, v.studentGradScale);
      const gts = (v.gradTeachers ?? []) as (GPUBuffer | null)[];
      const teacherGrads = (v.teacherGradScales as number[]).map((s, k) => grad(gts[k] ?? null, s));
      encodeMultiTeacherKL(ctx, enc, {
        student: v.student, teachers: v.teachers, rowLoss: v.rowLoss, gradStudent, gradTeachers: teacherGrads.map((t) => t[0]),
        labels: v.labels,
      }, {
        rows: v.rows, cols: v.cols, temperature: v.temperature, weights: v.weights, studentGradScale,
        teacherGradScales: teacherGrads.map((t) => t[1]), ignoreIndex: v.ignoreIndex,
      });
    },
    gramSimilarity(enc, a) {
      const v = check('gramSimilarity', enc, a);
      const [gradStudent, studentGradScale] = grad(v.gradStudent, v.studentGradScale);
      const [gradTeacher, teacherGradScale] = grad(v.gradTeacher, v.teacherGradScale);
      encodeGramSimilarity(ctx, enc, { student: v.student, teacher: v.teacher, loss: v.loss, gradStudent, gradTeacher }, {
        b: v.b, ds: v.ds, dt: v.dt, studentGradScale, teacherGradScale,
      });
    },
    mse(enc, a) {
      const v = check('mse', enc, a);
      const [gradA, aGradScale] = grad(v.gradA, v.aGradScale);
      const [gradB, bGradScale] = grad(v.gradB, v.bGradScale);
      encodeMse(ctx, enc, { a: v.a, b: v.b, sumSq: v.sumSq, gradA, gradB }, { size: v.size, aGradScale, bGradScale });
    },
    matmul(enc, a) {
      const v = check('matmul', enc, a);
      encodeMatmul(ctx, enc, v.a, v.b, v.c, v.m, v.k, v.n, v.transA, v.transB);
    },
    sum(enc, a) {
      const v = check('sum', enc, a);
      encodeSum(ctx, enc, v.x, v.out, v.rows, v.cols, v.axis, v.scale);
    },
    fusedLinearKdLoss(enc, a) {
      const v = check('fusedLinearKdLoss', enc, a);
      if (v.hardRow && !v.labels) throw new TypeError("webgpu.fusedLinearKdLoss: 'hardRow' (the cross-entropy term) needs 'labels'");
      // The chunk driver runs the backend's kernels on a runtime that encodes into `enc` (scratch from its pool).
      if (!fused) {
        const rt = new GpuRuntime(device, false);
        fused = { rt, be: webgpuBackendOn(rt) };
      }
      encodeFusedLinearKd(fused.rt, fused.be, enc, v as FusedLinearBuffers, {
        rows: v.rows, vocab: v.vocab, studentDim: v.studentDim, teacherDim: v.teacherDim, ignoreIndex: v.ignoreIndex,
        temperature: v.temperature, divergence: resolveDivergence(v.divergence, v.beta), beta: v.beta,
        chunkSize: v.chunkSize || defaultChunkSize(v.rows, v.vocab), softGradScale: v.softGradScale, hardGradScale: v.hardGradScale,
      });
    },
  };
}
