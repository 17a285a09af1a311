/**
 * The `native` backend: host storage shared with `cpu`, kernels from the C++ addon
 * (kd_kernels.node: scalar / AVX2+FMA / AVX-512 / NEON, picked once at load). Any kernel the addon
 * does not provide falls back to the cpu reference (cpuKernels is spread first, native overrides).
 */
import type { Backend } from '../backend.js';
import { cpuKernels, hostStorageMethods } from '../cpu/index.js';
import { loadAddon } from './addon.js';
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
import { fusedLinearKd } from '../cpu/fused_linear.js';

export { loadAddon, tryLoadAddon, addonLoadError, addonCandidates, type NativeAddon } from './addon.js';

/** The kernels the addon implements. */
export const nativeKernels = {
  softmaxKL, crossEntropy, hinton, multiTeacherKL, gramSimilarity, mse,
  matmul, binary, unary, affine, sum, softmax, softmaxBackward, transpose, dropout, fakeQuantize,
  conv2d, conv2dBackward, maxPool2d, maxPool2dBackward, addInPlace, sgdStep, adamStep,
};

/** Loads the addon (throws one Error naming the paths tried and the fix) and returns the backend. */
export function loadNativeBackend(): Backend {
  loadAddon();
  // fusedLinearKd: the host-memory chunk driver on this backend's kernels (the addon's threaded GEMM
  // and fused losses), row blocks as views.
  const be: Backend = {
    name: 'native', ...hostStorageMethods, ...cpuKernels, ...nativeKernels, fusedLinearKd: (a) => fusedLinearKd(be, a),
  };
  return be;
}
