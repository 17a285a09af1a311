/** Tiled transpose on WebGPU (shaders/transpose.wgsl). */
import type { Storage } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const TILE = 16;

export function transpose(rt: GpuRuntime, x: Storage, rows: number, cols: number): Storage {
  const out = rt.alloc(rows * cols);
  const ctx = rt.ctx;
  const tilesX = Math.ceil(cols / TILE);
  const u = ctx.uniform([['u32', rows], ['u32', cols], ['u32', tilesX]]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('transpose', 'main'), [u, rt.buf(x), out.buffer!], tilesX * Math.ceil(rows / TILE));
  return out;
}
