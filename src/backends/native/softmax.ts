/**
 * Row softmax / log-softmax and their gradient on the `native` backend (vector exp; row sums in
 * double). Same definitions as src/backends/cpu/softmax.ts:
 *   softmax y_j = exp(x_j - m) / sum_c exp(x_c - m);  logSoftmax y_j = x_j - m - log(sum_c exp(x_c - m))
 *   backward: softmax dx = y (g - <g, y>);  logSoftmax dx = g - exp(y) sum(g)
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface SoftmaxAddon {
  softmax(x: Float32Array, rows: number, cols: number, log: boolean, out: Float32Array): void;
  softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number, log: boolean, out: Float32Array): void;
}

const addon = (): SoftmaxAddon => loadAddon() as unknown as SoftmaxAddon;

function data(s: Storage, n: number): Float32Array {
  const d = f32(s);
  return d.length === n ? d : d.subarray(0, n);
}

export function softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
  const out = allocF32(rows * cols);
  addon().softmax(data(x, rows * cols), rows, cols, log, out);
  return wrap(out);
}

export function softmaxBackward(y: Storage, g: Storage, rows: number, cols: number, log: boolean): Storage {
  const out = allocF32(rows * cols);
  addon().softmaxBackward(data(y, rows * cols), data(g, rows * cols), rows, cols, log, out);
  return wrap(out);
}
