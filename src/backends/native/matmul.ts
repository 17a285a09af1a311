/**
 * Matrix product on the `native` backend: the addon's cache-blocked GEMM (packed A/B panels, an
 * AVX2 6x16 / AVX-512 8x32 / NEON 8x8 register micro-kernel), split over rows (or columns) of C on
 * the thread pool with results independent of the thread count.
 *
 *   C[m, n] = op(A) op(B);  transA: A stored [k, m];  transB: B stored [n, k]   (as src/backends/cpu/matmul.ts)
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface MatmulAddon {
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean,
    out: Float32Array): void;
}

/** The first n elements of a float storage (its array when the length already matches). */
function data(s: Storage, n: number): Float32Array {
  const d = f32(s);
  return d.length === n ? d : d.subarray(0, n);
}

export function matmul(
  a: Storage, b: Storage, m: number, k: number, n: number, transA: boolean, transB: boolean,
): Storage {
  const out = allocF32(m * n);
  (loadAddon() as unknown as MatmulAddon).matmul(data(a, m * k), data(b, k * n), m, k, n, transA, transB, out);
  return wrap(out);
}
