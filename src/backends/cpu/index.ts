/**
 * The `cpu` backend: readable TypeScript with float64 accumulation. It is the definition of
 * correct that the `native` and `webgpu` backends are tested against. One file per kernel.
 */
import type { Backend, DType, Storage } from '../backend.js';
import { HostStorage, host, releaseF32 } from './storage.js';
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

/** Storage methods for host memory, shared with the native backend. */
export const hostStorageMethods = {
  sync: true as const,
  upload(data: Float32Array | Int32Array, copy = true): Storage {
    if (copy) return new HostStorage(data.slice());
    const s = new HostStorage(data);
    s.shared = true;
    return s;
  },
  zeros(size: number, dtype: DType): Storage {
    return new HostStorage(dtype === 'int32' ? new Int32Array(size) : new Float32Array(size));
  },
  async read(s: Storage): Promise<Float32Array | Int32Array> {
    return host(s).data.slice();
  },
  readSync(s: Storage): Float32Array | Int32Array {
    return host(s).data.slice();
  },
  readView(s: Storage): Float32Array | Int32Array {
    const h = host(s);
    h.shared = true;
    return h.data;
  },
  dispose(s: Storage): void {
    // Float arrays nobody else sees go back to the pool for the next kernel's output; the storage is emptied.
    const h = host(s);
    if (h.data instanceof Float32Array && !h.shared) releaseF32(h.data);
    h.data = new Float32Array(0);
  },
};

export const cpuKernels = {
  softmaxKL, crossEntropy, hinton, multiTeacherKL, gramSimilarity, mse,
  matmul, binary, unary, affine, sum, softmax, softmaxBackward, transpose, dropout, fakeQuantize,
  conv2d, conv2dBackward, maxPool2d, maxPool2dBackward, addInPlace, sgdStep, adamStep,
};

export const cpuBackend: Backend = {
  name: 'cpu', ...hostStorageMethods, ...cpuKernels, fusedLinearKd: (a) => fusedLinearKd(cpuBackend, a),
};
