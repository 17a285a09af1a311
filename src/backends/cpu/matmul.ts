/**
 * Matrix product on the `cpu` backend.
 *
 *   C[i, j] = sum_p opA(i, p) * opB(p, j),   C is [m, n], the sum runs over p in [0, k)
 *   opA(i, p) = transA ? A[p, i] (A stored [k, m]) : A[i, p] (A stored [m, k])
 *   opB(p, j) = transB ? B[j, p] (B stored [n, k]) : B[p, j] (B stored [k, n])
 *
 * Each dot product is accumulated in float64 and rounded to float32 once.
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

export function matmul(
  a: Storage, b: Storage, m: number, k: number, n: number, transA: boolean, transB: boolean,
): Storage {
  const A = f32(a);
  const B = f32(b);
  const C = allocF32(m * n);
  // 1. Element strides of op(A) along (i, p) and of op(B) along (p, j).
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  // 2. One float64 dot product per output element.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += A[i * aRow + p * aCol] * B[p * bRow + j * bCol];
      C[i * n + j] = acc;
    }
  }
  return wrap(C);
}
