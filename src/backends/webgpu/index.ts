/**
 * The `webgpu` backend: hand-written WGSL (shaders/*.wgsl) on Dawn in Node (the `webgpu` npm
 * package) or on a browser's navigator.gpu. Methods encode dispatches into one batched command
 * encoder and return storages at once; `read` submits and maps a staging buffer (the one readback).
 * One file per kernel, the same file names as src/backends/cpu/.
 */
import type { Backend, DType, Storage } from '../backend.js';
import { acquireDevice, type DeviceOptions } from './device.js';
import { GpuRuntime, type GpuStats } from './runtime.js';
import { softmaxKL } from './softmax_kl.js';
import { crossEntropy } from './cross_entropy.js';
import { hinton } from './hinton.js';
import { multiTeacherKL } from './multi_teacher.js';
import { gramSimilarity } from './gram.js';
import { mse } from './mse.js';
import { matmul } from './matmul.js';
import { binary, unary, affine } from './elementwise.js';
import { sum } from './reduce.js';
import { softmax, softmaxBackward } from './softmax.js';
import { transpose } from './transpose.js';
import { dropout } from './dropout.js';
import { fakeQuantize } from './fake_quantize.js';
import { conv2d, conv2dBackward } from './conv2d.js';
import { maxPool2d, maxPool2dBackward } from './maxpool2d.js';
import { addInPlace, sgdStep, adamStep } from './optim.js';
import { fusedLinearKd } from './fused_linear.js';

export type { DeviceOptions } from './device.js';
export type { GpuStats } from './runtime.js';
export { GpuStorage } from './storage.js';

export type WebGPUBackend = Backend & {
  readonly device: GPUDevice;
  /**
   * Live counters: `reads` (GPU -> host readbacks: tensor.data(), hostInt32 of a device tensor...),
   * `submits`, `kernels` (encoded commands), `uploads`. Tests use them to check that a training
   * step reads back only its loss.
   */
  readonly stats: Readonly<GpuStats>;
  /** Whether the row-loss shaders reduce with subgroup operations (see DeviceOptions.subgroups). */
  readonly subgroups: boolean;
  /** Submits pending work now (reads do this on their own). */
  flush(): void;
  /** Frees pooled buffers and, when kd-kernels created the device, destroys it (lets Node exit). */
  destroy(): void;
};

export async function createWebGPUBackend(opts: DeviceOptions = {}): Promise<WebGPUBackend> {
  const { device, owned } = await acquireDevice(opts);
  return webgpuBackendOn(new GpuRuntime(device, owned, { subgroups: opts.subgroups }));
}

/** The backend's methods on a runtime (the raw layer makes one that encodes into the caller's encoder). */
export function webgpuBackendOn(rt: GpuRuntime): WebGPUBackend {
  const device = rt.device;
  const be: WebGPUBackend = {
    name: 'webgpu',
    sync: false,
    device,
    stats: rt.stats,
    subgroups: rt.ctx.subgroups,
    flush: () => rt.flush(),
    destroy: () => rt.destroy(),
    upload: (data: Float32Array | Int32Array) => rt.upload(data),
    zeros: (size: number, dtype: DType) => rt.zeros(size, dtype),
    read: (s: Storage) => rt.read(s),
    readSync(): never {
      throw new Error('kd-kernels: webgpu is asynchronous: use await tensor.data() (backend.read) instead of dataSync()');
    },
    readView(): never {
      throw new Error('kd-kernels: webgpu tensors live in GPU memory and have no host view: use await tensor.data()');
    },
    dispose: (s: Storage) => rt.dispose(s),
    softmaxKL: (a) => softmaxKL(rt, a),
    crossEntropy: (a) => crossEntropy(rt, a),
    hinton: (a) => hinton(rt, a),
    multiTeacherKL: (a) => multiTeacherKL(rt, a),
    gramSimilarity: (a) => gramSimilarity(rt, a),
    mse: (a) => mse(rt, a),
    matmul: (a, b, m, k, n, ta, tb) => matmul(rt, a, b, m, k, n, ta, tb),
    binary: (op, a, b, rows, cols) => binary(rt, op, a, b, rows, cols),
    unary: (op, x, size) => unary(rt, op, x, size),
    affine: (x, size, alpha, beta) => affine(rt, x, size, alpha, beta),
    sum: (x, rows, cols, axis, scale) => sum(rt, x, rows, cols, axis, scale),
    softmax: (x, rows, cols, log) => softmax(rt, x, rows, cols, log),
    softmaxBackward: (y, g, rows, cols, log) => softmaxBackward(rt, y, g, rows, cols, log),
    transpose: (x, rows, cols) => transpose(rt, x, rows, cols),
    dropout: (x, size, p, seed) => dropout(rt, x, size, p, seed),
    fakeQuantize: (x, size, p) => fakeQuantize(rt, x, size, p),
    conv2d: (x, w, bias, s) => conv2d(rt, x, w, bias, s),
    conv2dBackward: (g, x, w, s, need) => conv2dBackward(rt, g, x, w, s, need),
    maxPool2d: (x, s) => maxPool2d(rt, x, s),
    maxPool2dBackward: (g, argmax, s) => maxPool2dBackward(rt, g, argmax, s),
    addInPlace: (dst, src, size) => addInPlace(rt, dst, src, size),
    sgdStep: (param, grad, buf, size, p) => sgdStep(rt, param, grad, buf, size, p),
    adamStep: (param, grad, m, v, size, p) => adamStep(rt, param, grad, m, v, size, p),
    fusedLinearKd: (a) => fusedLinearKd(be, rt, a),
  };
  return be;
}
