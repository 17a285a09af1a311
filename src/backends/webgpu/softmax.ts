/** Row softmax / log-softmax and their backward on WebGPU (shaders/softmax.wgsl), a workgroup per row. */
import type { Storage } from '../backend.js';
import { rowWG } from './context.js';
import type { GpuRuntime } from './runtime.js';

export function softmax(rt: GpuRuntime, x: Storage, rows: number, cols: number, log: boolean): Storage {
  const out = rt.alloc(rows * cols);
  const ctx = rt.ctx;
  const u = ctx.uniform([['u32', rows], ['u32', cols], ['u32', log ? 1 : 0]]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('softmax', 'forward', { WG: rowWG(cols) }), [u, rt.buf(x), undefined, out.buffer!], rows);
  return out;
}

export function softmaxBackward(rt: GpuRuntime, y: Storage, g: Storage, rows: number, cols: number, log: boolean): Storage {
  const out = rt.alloc(rows * cols);
  const ctx = rt.ctx;
  const u = ctx.uniform([['u32', rows], ['u32', cols], ['u32', log ? 1 : 0]]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('softmax', 'backward', { WG: rowWG(cols) }), [u, rt.buf(y), rt.buf(g), out.buffer!], rows);
  return out;
}
