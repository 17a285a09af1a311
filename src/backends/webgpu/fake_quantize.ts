/**
 * Per-tensor affine fake quantisation on WebGPU (shaders/fake_quantize.wgsl): the definition of
 * src/backends/cpu/fake_quantize.ts. The float32 scale and its float32 reciprocal are computed here
 * (WGSL's f32 division is not correctly rounded; its multiplication and round() half-to-even are).
 */
import type { FakeQuantizeParams, Storage } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;

export function fakeQuantize(rt: GpuRuntime, x: Storage, size: number, p: FakeQuantizeParams): { y: Storage; mask: Storage } {
  const y = rt.alloc(size);
  const mask = rt.alloc(size);
  const ctx = rt.ctx;
  const s = Math.fround(p.scale);
  const u = ctx.uniform([
    ['u32', size], ['f32', s], ['f32', Math.fround(1 / s)], ['f32', p.zeroPoint],
    ['f32', p.qmin], ['f32', p.qmax], ['u32', 0], ['u32', 0],
  ]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('fake_quantize', 'main'), [u, rt.buf(x), y.buffer!, mask.buffer!], Math.ceil(size / WG));
  return { y, mask };
}
