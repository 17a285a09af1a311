/**
 * Fused cross-entropy (reference cpu kernel): log-softmax + NLL with PyTorch's label smoothing
 * and class weights, forward and gradient in one pass per row.
 *
 * With p = softmax(z) (T = 1), label y, smoothing eps, C classes and class weights w
 * (w = 1 when none), each row gets (torch.nn.functional.cross_entropy, reduction 'none'):
 *
 *   rowLoss = w[y] (1 - eps) (-log p_y) + (eps / C) sum_c w[c] (-log p_c)
 *
 * and, since d(-log p_c)/dz_j = p_j - [j == c],
 *
 *   d(rowLoss)/dz_j = p_j (w[y] (1 - eps) + (eps / C) W) - w[y] (1 - eps) [j == y] - (eps / C) w[j],
 *   W = sum_c w[c].
 *
 * Rows whose label equals ignoreIndex get rowLoss 0 and a zero gradient row. The gradient
 * written is `gradScale * d(rowLoss_i)/dz`. Reductions (PyTorch's 'mean' divides by the sum of
 * w[y_i] over non-ignored rows) are applied above the backend.
 */
import type { CrossEntropyArgs, CrossEntropyResult } from '../backend.js';
import { f32, i32, wrap } from './storage.js';
import { logSoftmaxRow } from './softmax_kl.js';

/**
 * Cross-entropy of one non-ignored row from its log-probabilities (T = 1). Adds
 * scale * d(rowLoss)/dz into g when g is not null and returns rowLoss. Shared with hinton.
 */
export function crossEntropyRow(
  logP: Float64Array, cols: number, label: number, labelSmoothing: number,
  weight: Float32Array | null, g: Float64Array | null, scale: number,
): number {
  const eps = labelSmoothing;
  const wy = weight ? weight[label] : 1;
  // 1. NLL term: w[y] (1 - eps) (-log p_y).
  let loss = eps < 1 ? wy * (1 - eps) * -logP[label] : 0;
  // 2. Smoothing term: (eps / C) sum_c w[c] (-log p_c), and W = sum_c w[c].
  let wSum = 0;
  if (eps > 0) {
    let smooth = 0;
    for (let c = 0; c < cols; c++) {
      const wc = weight ? weight[c] : 1;
      smooth += wc * -logP[c];
      wSum += wc;
    }
    loss += (eps / cols) * smooth;
  }
  // 3. Gradient: p_j (w[y](1-eps) + (eps/C) W) - w[y](1-eps)[j == y] - (eps/C) w[j].
  if (g) {
    const hard = wy * (1 - eps);
    const smoothCoef = eps / cols;
    const pCoef = hard + smoothCoef * wSum;
    for (let j = 0; j < cols; j++) {
      const wj = weight ? weight[j] : 1;
      let d = Math.exp(logP[j]) * pCoef - smoothCoef * wj;
      if (j === label) d -= hard;
      g[j] += scale * d;
    }
  }
  return loss;
}

export function crossEntropy(a: CrossEntropyArgs): CrossEntropyResult {
  const { rows, cols, labelSmoothing, ignoreIndex } = a;
  const z = f32(a.logits);
  const labels = i32(a.labels);
  const weight = a.weight ? f32(a.weight) : null;
  const rowLoss = new Float32Array(rows);
  const grad = a.gradScale === null ? null : new Float32Array(rows * cols);
  const logP = new Float64Array(cols);
  const g = grad ? new Float64Array(cols) : null;

  for (let i = 0; i < rows; i++) {
    const y = labels[i];
    // 1. Ignored rows: loss 0, gradient row 0 (already zero).
    if (y === ignoreIndex) continue;
    if (!(y >= 0 && y < cols)) throw new RangeError(`label ${y} of row ${i} is outside [0, ${cols})`);
    // 2. Log-softmax of the row (T = 1), then the row loss and scaled gradient.
    const off = i * cols;
    logSoftmaxRow(z, off, cols, 1, logP);
    g?.fill(0);
    rowLoss[i] = crossEntropyRow(logP, cols, y, labelSmoothing, weight, g, a.gradScale ?? 0);
    // 3. Write the float32 gradient row.
    if (grad && g) grad.set(g, off);
  }

  const result: CrossEntropyResult = { rowLoss: wrap(rowLoss) };
  if (grad) result.grad = wrap(grad);
  return result;
}
