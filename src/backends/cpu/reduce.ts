/**
 * Sum reduction of a row-major [rows, cols] matrix on the `cpu` backend, times `scale`
 * (scale = 1 for sum, 1/count for mean):
 *
 *   axis 'rows': out[j] = scale * sum_i x[i, j]   -> [cols]
 *   axis 'cols': out[i] = scale * sum_j x[i, j]   -> [rows]
 *   axis 'all':  out[0] = scale * sum_ij x[i, j]  -> [1]
 *
 * Sums are accumulated in float64, scaled in float64, and rounded to float32 once.
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

export function sum(
  x: Storage, rows: number, cols: number, axis: 'rows' | 'cols' | 'all', scale: number,
): Storage {
  const X = f32(x);
  if (axis === 'rows') {
    const out = allocF32(cols);
    for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let i = 0; i < rows; i++) acc += X[i * cols + j];
      out[j] = acc * scale;
    }
    return wrap(out);
  }
  if (axis === 'cols') {
    const out = allocF32(rows);
    for (let i = 0; i < rows; i++) {
      let acc = 0;
      for (let j = 0; j < cols; j++) acc += X[i * cols + j];
      out[i] = acc * scale;
    }
    return wrap(out);
  }
  if (axis === 'all') {
    const out = allocF32(1);
    let acc = 0;
    for (let i = 0; i < rows * cols; i++) acc += X[i];
    out[0] = acc * scale;
    return wrap(out);
  }
  throw new RangeError(`unknown sum axis '${axis as string}'`);
}
