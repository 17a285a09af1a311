/**
 * In-place parameter updates on the `native` backend, fused into one vectorised pass each, with the
 * update rules of src/backends/cpu/optim.ts (torch.optim.SGD: weight decay, momentum with
 * dampening, Nesterov, first-step buffer = gradient; torch.optim.Adam / AdamW), in float32
 * arithmetic with the bias corrections computed in double.
 */
import type { AdamParams, SgdParams, Storage } from '../backend.js';
import { f32 } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface OptimAddon {
  addInPlace(dst: Float32Array, src: Float32Array, size: number): void;
  sgdStep(param: Float32Array, grad: Float32Array, momentumBuf: Float32Array | null, size: number, lr: number,
    momentum: number, dampening: number, nesterov: boolean, weightDecay: number, hasMomentumBuffer: boolean): void;
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, size: number, lr: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;
}

const addon = (): OptimAddon => loadAddon() as unknown as OptimAddon;

function data(s: Storage, n: number): Float32Array {
  const d = f32(s);
  return d.length === n ? d : d.subarray(0, n);
}

export function addInPlace(dst: Storage, src: Storage, size: number): void {
  addon().addInPlace(data(dst, size), data(src, size), size);
}

export function sgdStep(
  param: Storage, grad: Storage, momentumBuf: Storage | null, size: number, p: SgdParams,
): void {
  if (p.momentum !== 0 && !momentumBuf) throw new TypeError('sgdStep: momentum != 0 needs a momentum buffer');
  addon().sgdStep(data(param, size), data(grad, size), p.momentum !== 0 && momentumBuf ? data(momentumBuf, size) : null,
    size, p.lr, p.momentum, p.dampening, p.nesterov, p.weightDecay, p.hasMomentumBuffer);
}

export function adamStep(
  param: Storage, grad: Storage, m: Storage, v: Storage, size: number, p: AdamParams,
): void {
  addon().adamStep(data(param, size), data(grad, size), data(m, size), data(v, size), size, p.lr, p.beta1, p.beta2,
    p.eps, p.weightDecay, p.decoupled, p.step);
}
