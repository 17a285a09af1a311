/**
 * Sum reductions on WebGPU (shaders/reduce.wgsl): over rows (a thread per column), over columns
 * (a workgroup per row), or everything (grid-stride partial sums, then one workgroup).
 */
import type { Storage } from '../backend.js';
import { rowWG, type KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;
/** Partial sums of an 'all' reduction (at most this many workgroups). */
export const MAX_PARTIALS = 1024;

/** out[0] = scale * sum of partials[0..count), one workgroup. */
export function encodeFinish(ctx: KernelContext, enc: GPUCommandEncoder, partials: GPUBuffer, count: number, out: GPUBuffer, scale: number): void {
  const u = ctx.uniform([['u32', 0], ['u32', 0], ['u32', count], ['u32', 0], ['f32', scale]]);
  ctx.dispatch(enc, ctx.pipeline('reduce', 'finish'), [u, partials, out], [1, 1]);
}

export function encodeSum(
  ctx: KernelContext, enc: GPUCommandEncoder, x: GPUBuffer, out: GPUBuffer,
  rows: number, cols: number, axis: 'rows' | 'cols' | 'all', scale: number,
): void {
  if (axis === 'rows') {
    const u = ctx.uniform([['u32', rows], ['u32', cols], ['u32', 0], ['u32', 0], ['f32', scale]]);
    ctx.dispatch(enc, ctx.pipeline('reduce', 'sum_rows'), [u, x, out], Math.ceil(cols / WG));
  } else if (axis === 'cols') {
    const u = ctx.uniform([['u32', rows], ['u32', cols], ['u32', 0], ['u32', 0], ['f32', scale]]);
    ctx.dispatch(enc, ctx.pipeline('reduce', 'sum_cols', { WG: rowWG(cols) }), [u, x, out], rows);
  } else if (axis === 'all') {
    const size = rows * cols;
    const groups = Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(size / WG)));
    const partials = ctx.scratch(groups * 4);
    const u = ctx.uniform([['u32', rows], ['u32', cols], ['u32', size], ['u32', 0], ['f32', 1]]);
    ctx.dispatch(enc, ctx.pipeline('reduce', 'partial'), [u, x, partials], [groups, 1]);
    encodeFinish(ctx, enc, partials, groups, out, scale);
    ctx.release(partials);
  } else {
    throw new RangeError(`unknown sum axis '${axis as string}'`);
  }
}

export function sum(rt: GpuRuntime, x: Storage, rows: number, cols: number, axis: 'rows' | 'cols' | 'all', scale: number): Storage {
  const out = rt.alloc(axis === 'rows' ? cols : axis === 'cols' ? rows : 1);
  encodeSum(rt.ctx, rt.encoder(), rt.buf(x), out.buffer!, rows, cols, axis, scale);
  return out;
}
