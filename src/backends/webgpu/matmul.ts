/** Register-blocked matmul on WebGPU (shaders/matmul.wgsl): C[m, n] = op(A) op(B), transA / transB. */
import type { Storage } from '../backend.js';
import type { KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

const TILE = 64; // the 64 x 64 tile of C per workgroup (shaders/matmul.wgsl)

export function encodeMatmul(
  ctx: KernelContext, enc: GPUCommandEncoder, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer,
  m: number, k: number, n: number, transA: boolean, transB: boolean,
): void {
  const tilesN = Math.ceil(n / TILE);
  const u = ctx.uniform([
    ['u32', m], ['u32', k], ['u32', n], ['u32', transA ? 1 : 0], ['u32', transB ? 1 : 0], ['u32', tilesN],
  ]);
  ctx.dispatch(enc, ctx.pipeline('matmul', 'main'), [u, a, b, c], Math.ceil(m / TILE) * tilesN);
}

export function matmul(rt: GpuRuntime, a: Storage, b: Storage, m: number, k: number, n: number, transA: boolean, transB: boolean): Storage {
  const c = rt.alloc(m * n);
  encodeMatmul(rt.ctx, rt.encoder(), rt.buf(a), rt.buf(b), c.buffer!, m, k, n, transA, transB);
  return c;
}
