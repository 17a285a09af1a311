/**
 * Fused Hinton loss (reference cpu kernel): the soft forward-KL term and the hard cross-entropy
 * term of one row from a single kernel call (Hinton, Vinyals & Dean 2015).
 *
 *   softRow = T^2 KL(softmax(t / T) || softmax(s / T))            (forward-kl, see softmax_kl.ts)
 *   hardRow = w[y] (1 - eps) (-log p_y) + (eps / C) sum_c w[c] (-log p_c),  p = softmax(s)
 *             (see cross_entropy.ts)
 *   grad    = softGradScale * d(softRow)/ds + hardGradScale * d(hardRow)/ds
 *
 * The caller folds alpha and both reductions into the two scales, e.g. for
 * alpha * batchmean(soft) + (1 - alpha) * mean(hard): softGradScale = alpha / B,
 * hardGradScale = (1 - alpha) / denominator. A null scale counts as 0; the gradient is written
 * when either scale is non-null. Rows whose label is ignoreIndex are masked in both terms (soft and
 * hard 0, gradient row 0), as TRL and Liger mask distillation tokens.
 */
import type { HintonArgs, HintonResult } from '../backend.js';
import { f32, i32, wrap } from './storage.js';
import { forwardKLRow, logSoftmaxRow } from './softmax_kl.js';
import { crossEntropyRow } from './cross_entropy.js';

export function hinton(a: HintonArgs): HintonResult {
  const { rows, cols, temperature, labelSmoothing, ignoreIndex } = a;
  const s = f32(a.student);
  const t = f32(a.teacher);
  const labels = i32(a.labels);
  const weight = a.weight ? f32(a.weight) : null;
  const wantGrad = a.softGradScale !== null || a.hardGradScale !== null;
  const softScale = a.softGradScale ?? 0;
  const hardScale = a.hardGradScale ?? 0;

  const softRow = new Float32Array(rows);
  const hardRow = new Float32Array(rows);
  const grad = wantGrad ? new Float32Array(rows * cols) : null;
  const logPsT = new Float64Array(cols); // log softmax(s / T)
  const logPt = new Float64Array(cols); // log softmax(t / T)
  const logPs1 = new Float64Array(cols); // log softmax(s)
  const g = wantGrad ? new Float64Array(cols) : null;

  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const y = labels[i];
    // 0. Ignored rows (tokens) are masked in both terms: losses 0, gradient row 0.
    if (y === ignoreIndex) continue;
    if (!(y >= 0 && y < cols)) throw new RangeError(`label ${y} of row ${i} is outside [0, ${cols})`);
    g?.fill(0);
    // 1. Soft term: forward KL at temperature T.
    logSoftmaxRow(s, off, cols, temperature, logPsT);
    logSoftmaxRow(t, off, cols, temperature, logPt);
    softRow[i] = forwardKLRow(logPsT, logPt, cols, temperature, g, softScale, null, 0);
    // 2. Hard term: cross-entropy at T = 1.
    logSoftmaxRow(s, off, cols, 1, logPs1);
    hardRow[i] = crossEntropyRow(logPs1, cols, y, labelSmoothing, weight, g, hardScale);
    // 3. Write the float32 gradient row.
    if (grad && g) grad.set(g, off);
  }

  const result: HintonResult = { softRow: wrap(softRow), hardRow: wrap(hardRow) };
  if (grad) result.grad = wrap(grad);
  return result;
}
