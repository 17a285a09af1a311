/**
 * Inverted dropout on the `cpu` backend, with the counter-based RNG shared by every backend
 * (src/kernels/rng.ts), so the same seed gives the same mask on cpu, native and webgpu:
 *
 *   keep[i] = hashUniform(seed, i) >= p
 *   mask[i] = keep[i] ? 1 / (1 - p) : 0          (p = 0: all ones; p = 1: all zeros)
 *   y[i]    = x[i] * mask[i]
 *
 * mask is returned (float32) so the backward is g * mask. y multiplies by the float32 mask value,
 * so the forward and the backward scale by exactly the same number.
 */
import type { Storage } from '../backend.js';
import { hashUniform } from '../../kernels/rng.js';
import { allocF32, f32, wrap } from './storage.js';

export function dropout(x: Storage, size: number, p: number, seed: number): { y: Storage; mask: Storage } {
  const X = f32(x);
  const y = allocF32(size);
  const mask = allocF32(size);
  // 1. The scale of kept elements; p = 1 keeps nothing (hashUniform < 1), so 0 avoids 1/0.
  const keepScale = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < size; i++) {
    // 2. Keep or drop element i, independently of every other element.
    mask[i] = hashUniform(seed, i) >= p ? keepScale : 0;
    // 3. Scale by the stored (float32) mask value.
    y[i] = X[i] * mask[i];
  }
  return { y: wrap(y), mask: wrap(mask) };
}
