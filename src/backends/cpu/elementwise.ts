/**
 * Elementwise kernels on the `cpu` backend.
 *
 *   binary: out[i, j] = a(i, j) op b(i, j) over a [rows, cols] result, where an operand View reads
 *           storage[i * rowStride + j * colStride] (stride 0 broadcasts a row, a column or a scalar).
 *           add a+b, sub a-b, mul a*b, div a/b, reluGrad (b > 0 ? a : 0; a = upstream gradient,
 *           b = relu input), max / min (NaN propagates, as torch.maximum / torch.minimum).
 *   unary:  relu max(x, 0) (NaN stays NaN, as torch.relu), exp, log, neg -x, square x*x, sqrt, abs.
 *   affine: alpha * x + beta.
 *
 * Each element is computed in float64 from float32 inputs and rounded to float32 once.
 */
import type { BinaryOp, Storage, UnaryOp, View } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

/** The scalar function of each binary op. */
const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  reluGrad: (g, x) => (x > 0 ? g : 0),
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

/** The scalar function of each unary op. */
const unaryFns: Record<UnaryOp, (x: number) => number> = {
  relu: (x) => Math.max(x, 0),
  exp: Math.exp,
  log: Math.log,
  neg: (x) => -x,
  square: (x) => x * x,
  sqrt: Math.sqrt,
  abs: Math.abs,
};

export function binary(op: BinaryOp, a: View, b: View, rows: number, cols: number): Storage {
  const fn = binaryFns[op];
  if (!fn) throw new RangeError(`unknown binary op '${op}'`);
  const A = f32(a.storage);
  const B = f32(b.storage);
  const out = allocF32(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const av = A[i * a.rowStride + j * a.colStride];
      const bv = B[i * b.rowStride + j * b.colStride];
      out[i * cols + j] = fn(av, bv);
    }
  }
  return wrap(out);
}

export function unary(op: UnaryOp, x: Storage, size: number): Storage {
  const fn = unaryFns[op];
  if (!fn) throw new RangeError(`unknown unary op '${op}'`);
  const X = f32(x);
  const out = allocF32(size);
  for (let i = 0; i < size; i++) out[i] = fn(X[i]);
  return wrap(out);
}

export function affine(x: Storage, size: number, alpha: number, beta: number): Storage {
  const X = f32(x);
  const out = allocF32(size);
  for (let i = 0; i < size; i++) out[i] = alpha * X[i] + beta;
  return wrap(out);
}
