/**
 * Deterministic test inputs shared with the PyTorch fixture generator
 * (test/fixtures/gen_fixtures.py reimplements exactly this with numpy uint32 arithmetic), so
 * large inputs are described by a recipe (seed, n, lo, hi) instead of being stored.
 *
 *   x_i = float32(lo + (hi - lo) * hashUniform(seed, i)),  i = 0 .. n-1
 *
 * with hashUniform from src/kernels/rng.ts (the arithmetic is float64, then rounded to float32).
 */
import { hashUniform } from '../../src/kernels/rng.js';

export function uniformInputs(seed: number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * hashUniform(seed, i);
  return out;
}
