/** Max pooling (no padding) and its backward (a gather through argmax) on WebGPU (shaders/maxpool2d.wgsl). */
import type { PoolShape, Storage } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;

function params(rt: GpuRuntime, s: PoolShape): GPUBuffer {
  return rt.ctx.uniform([
    ['u32', s.n], ['u32', s.c], ['u32', s.h], ['u32', s.w],
    ['u32', s.kernel], ['u32', s.stride], ['u32', s.hOut], ['u32', s.wOut],
  ]);
}

export function maxPool2d(rt: GpuRuntime, x: Storage, s: PoolShape): { y: Storage; argmax: Storage } {
  const size = s.n * s.c * s.hOut * s.wOut;
  const y = rt.alloc(size);
  const argmax = rt.alloc(size, 'int32');
  rt.ctx.dispatch(rt.encoder(), rt.ctx.pipeline('maxpool2d', 'forward'),
    [params(rt, s), rt.buf(x), y.buffer!, argmax.buffer!], Math.ceil(size / WG));
  return { y, argmax };
}

export function maxPool2dBackward(rt: GpuRuntime, g: Storage, argmax: Storage, s: PoolShape): Storage {
  const size = s.n * s.c * s.h * s.w;
  const dx = rt.alloc(size);
  rt.ctx.dispatch(rt.encoder(), rt.ctx.pipeline('maxpool2d', 'backward'),
    [params(rt, s), rt.buf(g), dx.buffer!, rt.buf(argmax)], Math.ceil(size / WG));
  return dx;
}
