/**
 * Row softmax / log-softmax of a row-major [rows, cols] matrix on the `cpu` backend, and its
 * gradient.
 *
 * Forward, per row x (the row max m is subtracted first, so exp never overflows):
 *   softmax:    y_j = exp(x_j - m) / sum_c exp(x_c - m)
 *   logSoftmax: y_j = x_j - m - log(sum_c exp(x_c - m))
 * A -Infinity logit gets probability 0 (log-probability -Infinity); a row that is all -Infinity
 * gives NaN, as in PyTorch.
 *
 * Backward, given the forward output y and the upstream gradient g, per row:
 *   softmax:    dx_j = y_j * (g_j - sum_c g_c y_c)
 *   logSoftmax: dx_j = g_j - exp(y_j) * sum_c g_c
 * Row sums are accumulated in float64; each output is rounded to float32 once.
 */
import type { Storage } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

export function softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
  const X = f32(x);
  const out = allocF32(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    // 1. Row max.
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, X[row + j]);
    // 2. Sum of shifted exponentials.
    let sumExp = 0;
    for (let j = 0; j < cols; j++) sumExp += Math.exp(X[row + j] - max);
    // 3. Normalise (probabilities) or subtract the log-sum-exp (log-probabilities).
    if (log) {
      const logSum = Math.log(sumExp);
      for (let j = 0; j < cols; j++) out[row + j] = X[row + j] - max - logSum;
    } else {
      for (let j = 0; j < cols; j++) out[row + j] = Math.exp(X[row + j] - max) / sumExp;
    }
  }
  return wrap(out);
}

export function softmaxBackward(y: Storage, g: Storage, rows: number, cols: number, log: boolean): Storage {
  const Y = f32(y);
  const G = f32(g);
  const dx = allocF32(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    if (log) {
      // 1. sum_c g_c, then dx_j = g_j - softmax_j * sum_c g_c with softmax_j = exp(y_j).
      let sumG = 0;
      for (let j = 0; j < cols; j++) sumG += G[row + j];
      for (let j = 0; j < cols; j++) dx[row + j] = G[row + j] - Math.exp(Y[row + j]) * sumG;
    } else {
      // 1. <g, y> over the row, then dx_j = y_j * (g_j - <g, y>).
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += G[row + j] * Y[row + j];
      for (let j = 0; j < cols; j++) dx[row + j] = Y[row + j] * (G[row + j] - dot);
    }
  }
  return wrap(dx);
}
