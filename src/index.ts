/**
 * kd-kernels: knowledge-distillation kernels with gradients on cpu (reference), native (C++ SIMD)
 * and webgpu (WGSL) backends, a Tensor facade with a minimal autograd, and training utilities.
 */
export { Tensor, tensor, zeros, ones, full, randn, rand, manualSeed, type TensorData, type TensorOptions } from './tensor.js';
export { setBackend, getBackend, useWebGPU, releaseWebGPU, nativeLoadError, type WebGPUOptions } from './backends/registry.js';
export type { Backend, BackendName, DType, Divergence } from './backends/backend.js';
export type { Reduction } from './kernels/reduction.js';
export { noGrad, isGradEnabled } from './autograd/node.js';
export {
  add, sub, mul, div, neg, matmul, linear, relu, exp, log, square, sqrt, sum, mean,
  reshape, flatten, transpose, detach, softmax, logSoftmax, dropout, conv2d, maxPool2d,
  fakeQuantize, type FakeQuantizeOptions,
} from './ops/index.js';
export * as losses from './losses/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
