/** Elementwise kernels on WebGPU (shaders/elementwise.wgsl): binary with 2-D strided views, unary, affine. */
import type { BinaryOp, Storage, UnaryOp, View } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, reluGrad: 4, max: 5, min: 6 };
const UNARY: Record<UnaryOp, number> = { relu: 0, exp: 1, log: 2, neg: 3, square: 4, sqrt: 5, abs: 6 };

export function binary(rt: GpuRuntime, op: BinaryOp, a: View, b: View, rows: number, cols: number): Storage {
  const code = BINARY[op];
  if (code === undefined) throw new RangeError(`unknown binary op '${op}'`);
  const size = rows * cols;
  const out = rt.alloc(size);
  const ctx = rt.ctx;
  const u = ctx.uniform([
    ['u32', rows], ['u32', cols], ['u32', code], ['u32', size],
    ['u32', a.rowStride], ['u32', a.colStride], ['u32', b.rowStride], ['u32', b.colStride],
  ]);
  const ab = rt.buf(a.storage);
  const bb = rt.buf(b.storage);
  ctx.dispatch(rt.encoder(), ctx.pipeline('elementwise', 'binary'), [u, ab, bb, out.buffer!], Math.ceil(size / WG));
  return out;
}

export function unary(rt: GpuRuntime, op: UnaryOp, x: Storage, size: number): Storage {
  const code = UNARY[op];
  if (code === undefined) throw new RangeError(`unknown unary op '${op}'`);
  const out = rt.alloc(size);
  const ctx = rt.ctx;
  const u = ctx.uniform([['u32', 0], ['u32', 0], ['u32', code], ['u32', size]]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('elementwise', 'unary'), [u, rt.buf(x), undefined, out.buffer!], Math.ceil(size / WG));
  return out;
}

export function affine(rt: GpuRuntime, x: Storage, size: number, alpha: number, beta: number): Storage {
  const out = rt.alloc(size);
  const ctx = rt.ctx;
  const u = ctx.uniform([
    ['u32', 0], ['u32', 0], ['u32', 0], ['u32', size], ['u32', 0], ['u32', 0], ['u32', 0], ['u32', 0],
    ['f32', alpha], ['f32', beta],
  ]);
  ctx.dispatch(rt.encoder(), ctx.pipeline('elementwise', 'affine'), [u, rt.buf(x), undefined, out.buffer!], Math.ceil(size / WG));
  return out;
}
