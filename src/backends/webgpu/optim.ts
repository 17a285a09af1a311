/**
 * In-place updates on WebGPU (shaders/optim.wgsl): gradient accumulation, PyTorch SGD (momentum,
 * dampening, nesterov, weight decay) and Adam / AdamW. Bias corrections are computed here in float64.
 */
import type { AdamParams, SgdParams, Storage } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;

export function addInPlace(rt: GpuRuntime, dst: Storage, src: Storage, size: number): void {
  const ctx = rt.ctx;
  const u = ctx.uniform([['u32', size]]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('optim', 'add_in_place'), [u, rt.buf(dst), rt.buf(src)], Math.ceil(size / WG));
}

export function sgdStep(rt: GpuRuntime, param: Storage, grad: Storage, momentumBuf: Storage | null, size: number, p: SgdParams): void {
  const ctx = rt.ctx;
  const useMomentum = p.momentum !== 0 && momentumBuf !== null;
  const flags = (useMomentum ? 1 : 0) | (p.hasMomentumBuffer ? 2 : 0) | (p.nesterov ? 4 : 0);
  const u = ctx.uniform([
    ['u32', size], ['u32', flags], ['u32', 0], ['u32', 0],
    ['f32', p.lr], ['f32', p.momentum], ['f32', p.dampening], ['f32', p.weightDecay],
  ]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('optim', 'sgd'), [
    u, rt.buf(param), rt.buf(grad), useMomentum ? rt.buf(momentumBuf!) : ctx.dummy(0),
  ], Math.ceil(size / WG));
}

export function adamStep(rt: GpuRuntime, param: Storage, grad: Storage, m: Storage, v: Storage, size: number, p: AdamParams): void {
  const ctx = rt.ctx;
  const bc1 = 1 - p.beta1 ** p.step;
  const bc2 = 1 - p.beta2 ** p.step;
  const u = ctx.uniform([
    ['u32', size], ['u32', p.decoupled ? 1 : 0], ['u32', 0], ['u32', 0],
    ['f32', p.lr], ['f32', p.beta1], ['f32', p.beta2], ['f32', p.weightDecay],
    ['f32', p.eps], ['f32', p.lr / bc1], ['f32', Math.sqrt(bc2)],
  ]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('optim', 'adam'), [u, rt.buf(param), rt.buf(grad), rt.buf(m), rt.buf(v)], Math.ceil(size / WG));
}
