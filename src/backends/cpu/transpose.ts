/**
 * Transpose of a row-major [rows, cols] matrix on the `cpu` backend: out[j, i] = x[i, j],
 * out is [cols, rows].
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

export function transpose(x: Storage, rows: number, cols: number): Storage {
  const X = f32(x);
  const out = allocF32(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = X[i * cols + j];
  }
  return wrap(out);
}
