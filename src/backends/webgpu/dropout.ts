/**
 * Inverted dropout on WebGPU (shaders/dropout.wgsl) with the counter-based RNG of
 * src/kernels/rng.ts: bit-identical masks to the cpu backend. keep <=> hashUniform(seed, i) >= p,
 * tested exactly in integers as (hash >> 8) >= ceil(p * 2^24).
 */
import type { Storage } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;

export function dropout(rt: GpuRuntime, x: Storage, size: number, p: number, seed: number): { y: Storage; mask: Storage } {
  const y = rt.alloc(size);
  const mask = rt.alloc(size);
  const ctx = rt.ctx;
  const threshold = Math.min(Math.ceil(p * 16777216), 16777216);
  const keepScale = p < 1 ? Math.fround(1 / (1 - p)) : 0;
  const u = ctx.uniform([['u32', size], ['u32', seed >>> 0], ['u32', threshold], ['u32', 0], ['f32', keepScale]]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('dropout', 'main'), [u, rt.buf(x), y.buffer!, mask.buffer!], Math.ceil(size / WG));
  return { y, mask };
}
