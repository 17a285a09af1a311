/**
 * Elementwise kernels on the `native` backend (vectorised; exp/log by Cephes-style polynomials,
 * about 1 ulp). Same definitions as src/backends/cpu/elementwise.ts:
 *
 *   binary: out[i, j] = a(i, j) op b(i, j), an operand View reading storage[i*rowStride + j*colStride]
 *           (stride 0 broadcasts); add, sub, mul, div, reluGrad (b > 0 ? a : 0), max / min (NaN wins).
 *   unary:  relu, exp, log, neg, square, sqrt, abs.
 *   affine: alpha * x + beta.
 */
import type { BinaryOp, Storage, UnaryOp, View } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface ElementwiseAddon {
  binary(op: number, a: Float32Array, aRowStride: number, aColStride: number, b: Float32Array, bRowStride: number,
    bColStride: number, rows: number, cols: number, out: Float32Array): void;
  unary(op: number, x: Float32Array, size: number, out: Float32Array): void;
  affine(x: Float32Array, size: number, alpha: number, beta: number, out: Float32Array): void;
}

/** Op codes of native/kernels/ops.h (KdBinaryOp, KdUnaryOp). */
const binaryCodes: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, reluGrad: 4, max: 5, min: 6 };
const unaryCodes: Record<UnaryOp, number> = { relu: 0, exp: 1, log: 2, neg: 3, square: 4, sqrt: 5, abs: 6 };

const addon = (): ElementwiseAddon => loadAddon() as unknown as ElementwiseAddon;

function data(s: Storage, n: number): Float32Array {
  const d = f32(s);
  return d.length === n ? d : d.subarray(0, n);
}

export function binary(op: BinaryOp, a: View, b: View, rows: number, cols: number): Storage {
  const code = binaryCodes[op];
  if (code === undefined) throw new RangeError(`unknown binary op '${op}'`);
  const out = allocF32(rows * cols);
  addon().binary(code, f32(a.storage), a.rowStride, a.colStride, f32(b.storage), b.rowStride, b.colStride, rows, cols, out);
  return wrap(out);
}

export function unary(op: UnaryOp, x: Storage, size: number): Storage {
  const code = unaryCodes[op];
  if (code === undefined) throw new RangeError(`unknown unary op '${op}'`);
  const out = allocF32(size);
  addon().unary(code, data(x, size), size, out);
  return wrap(out);
}

export function affine(x: Storage, size: number, alpha: number, beta: number): Storage {
  const out = allocF32(size);
  addon().affine(data(x, size), size, alpha, beta, out);
  return wrap(out);
}
