/**
 * Inverted dropout on the `native` backend with the counter-based RNG of src/kernels/rng.ts, the pcg
 * hash computed in SIMD integer lanes: keep[i] = hashUniform(seed, i) >= p, tested exactly as
 * (pcg(pcg(seed) + i) >>> 8) >= ceil(p * 2^24), so masks are bit-identical to the cpu backend's.
 * mask[i] = keep ? float32(1 / (1 - p)) : 0, y = x * mask.
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface DropoutAddon {
  dropout(x: Float32Array, size: number, p: number, seed: number, y: Float32Array, mask: Float32Array): void;
}

export function dropout(x: Storage, size: number, p: number, seed: number): { y: Storage; mask: Storage } {
  const y = allocF32(size);
  const mask = allocF32(size);
  const d = f32(x);
  (loadAddon() as unknown as DropoutAddon).dropout(d.length === size ? d : d.subarray(0, size), size, p, seed, y, mask);
  return { y: wrap(y), mask: wrap(mask) };
}
