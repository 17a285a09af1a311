/**
 * Sum reduction of a row-major [rows, cols] matrix on the `native` backend, times `scale`
 * (as src/backends/cpu/reduce.ts): axis 'rows' -> [cols], 'cols' -> [rows], 'all' -> [1].
 * Float32 vector lanes over short blocks, the blocks accumulated in double; 'all' adds fixed-size
 * block partials in order, so the result does not depend on the thread count.
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface ReduceAddon {
  sum(x: Float32Array, rows: number, cols: number, axis: number, scale: number, out: Float32Array): void;
}

const axisCodes = { rows: 0, cols: 1, all: 2 } as const;

export function sum(
  x: Storage, rows: number, cols: number, axis: 'rows' | 'cols' | 'all', scale: number,
): Storage {
  const code = axisCodes[axis];
  if (code === undefined) throw new RangeError(`unknown sum axis '${axis as string}'`);
  const out = allocF32(axis === 'rows' ? cols : axis === 'cols' ? rows : 1);
  const d = f32(x);
  (loadAddon() as unknown as ReduceAddon).sum(d.length === rows * cols ? d : d.subarray(0, rows * cols), rows, cols,
    code, scale, out);
  return wrap(out);
}
