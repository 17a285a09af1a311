/**
 * `kd-kernels/webgpu`: the raw WebGPU kernels, for trainers with their own buffers. No Tensor, no
 * autograd: each method encodes the fused kernel into the caller's GPUCommandEncoder, reading and
 * writing the caller's GPUBuffers (usage STORAGE; float32 row-major, labels int32). The caller
 * submits. Gradients are written only where a grad scale is given (null / undefined = none).
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

export { createWebGPUBackend, type WebGPUBackend, type DeviceOptions, type GpuStats } from './backends/webgpu/index.js';
export { acquireDevice } from './backends/webgpu/device.js';
export type {
  SoftmaxKLBuffers, SoftmaxKLParams, CrossEntropyBuffers, CrossEntropyParams, HintonBuffers, HintonParams,
  MultiTeacherBuffers, MultiTeacherParams, GramBuffers, GramParams, MseBuffers, MseParams,
};

export interface WebGPUKernels {
  readonly device: GPUDevice;
  /**
   * Per row: T^2 * divergence; gradients w.r.t. student / teacher when their scales are given.
   * 'jsd' with beta 0 is forward KL and with beta 1 reverse KL (TRL, Liger).
   */
  softmaxKL(enc: GPUCommandEncoder, a: SoftmaxKLBuffers & SoftmaxKLParams): void;
  crossEntropy(enc: GPUCommandEncoder, a: CrossEntropyBuffers & CrossEntropyParams): void;
  hinton(enc: GPUCommandEncoder, a: HintonBuffers & HintonParams): void;
  multiTeacherKL(enc: GPUCommandEncoder, a: MultiTeacherBuffers & MultiTeacherParams): void;
  gramSimilarity(enc: GPUCommandEncoder, a: GramBuffers & GramParams): void;
  mse(enc: GPUCommandEncoder, a: MseBuffers & MseParams): void;
  /** c[m, n] = op(a) op(b). */
  matmul(enc: GPUCommandEncoder, a: { a: GPUBuffer; b: GPUBuffer; c: GPUBuffer; m: number; k: number; n: number; transA?: boolean; transB?: boolean }): void;
  /** out = scale * sum over 'rows' ([cols]), 'cols' ([rows]) or 'all' ([1]). */
  sum(enc: GPUCommandEncoder, a: { x: GPUBuffer; out: GPUBuffer; rows: number; cols: number; axis: 'rows' | 'cols' | 'all'; scale?: number }): void;
}

/** The raw kernel set on the caller's device (pipelines are compiled on first use and cached). */
export function createKernels(device: GPUDevice): WebGPUKernels {
  const ctx = new KernelContext(device);
  return {
    device,
    softmaxKL: (enc, a) => encodeSoftmaxKL(ctx, enc, a, { ...a, divergence: resolveDivergence(a.divergence ?? 'forward-kl', a.beta ?? 0.5) }),
    crossEntropy: (enc, a) => encodeCrossEntropy(ctx, enc, a, a),
    hinton: (enc, a) => encodeHinton(ctx, enc, a, a),
    multiTeacherKL: (enc, a) => encodeMultiTeacherKL(ctx, enc, a, a),
    gramSimilarity: (enc, a) => encodeGramSimilarity(ctx, enc, a, a),
    mse: (enc, a) => encodeMse(ctx, enc, a, a),
    matmul: (enc, a) => encodeMatmul(ctx, enc, a.a, a.b, a.c, a.m, a.k, a.n, !!a.transA, !!a.transB),
    sum: (enc, a) => encodeSum(ctx, enc, a.x, a.out, a.rows, a.cols, a.axis, a.scale ?? 1),
  };
}
