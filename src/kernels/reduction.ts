/**
 * Reductions, computed in this one place for every loss and backend.
 *
 * A fused loss kernel returns per-row losses `rowLoss[B]` and writes `scale * d(rowLoss_i)/dx`;
 * this module says what `scale` is and turns rowLoss into the reduced value:
 *
 * | reduction   | value                          | scale                     |
 * |-------------|--------------------------------|---------------------------|
 * | 'none'      | rowLoss [B]                    | 1 (upstream scales rows)  |
 * | 'sum'       | sum_i rowLoss_i                | 1                         |
 * | 'mean'      | sum_i rowLoss_i / denominator  | 1 / denominator           |
 * | 'batchmean' | sum_i rowLoss_i / B            | 1 / B                     |
 *
 * The denominator of 'mean' is B*C for the KL losses (PyTorch's kl_div averages over elements),
 * and for cross-entropy the number of non-ignored rows, or with class weights the sum of the
 * weights of the non-ignored rows' labels (PyTorch), clamped to >= 1 when every row is ignored.
 */
export type Reduction = 'none' | 'sum' | 'mean' | 'batchmean';
export const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean', 'batchmean'];

export function reductionScale(reduction: Reduction, rows: number, meanDenominator: number): number {
  switch (reduction) {
    case 'none':
    case 'sum':
      return 1;
    case 'mean':
      return 1 / meanDenominator;
    case 'batchmean':
      return 1 / Math.max(rows, 1);
  }
}

/** Denominator of a cross-entropy 'mean' (PyTorch), computed on the host labels. */
export function crossEntropyDenominator(labels: Int32Array, ignoreIndex: number, weight: Float32Array | null): number {
  let d = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y === ignoreIndex) continue;
    count++;
    d += weight ? weight[y] : 1;
  }
  return count === 0 ? 1 : d;
}
