/**
 * Transpose of a row-major [rows, cols] matrix on the `native` backend (32 x 32 tiles, split over
 * row blocks): out[j, i] = x[i, j], out is [cols, rows].
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface TransposeAddon {
  transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
}

export function transpose(x: Storage, rows: number, cols: number): Storage {
  const out = allocF32(rows * cols);
  const d = f32(x);
  (loadAddon() as unknown as TransposeAddon).transpose(d.length === rows * cols ? d : d.subarray(0, rows * cols), rows,
    cols, out);
  return wrap(out);
}
