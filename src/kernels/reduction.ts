/**
 * Reductions, computed in this one place for every loss and backend.
 *
 * A fused loss kernel returns per-row losses `rowLoss[rows]` (a row is one position of the leading
 * dimensions of `[..., C]`: a sample, or a token) and writes `scale * d(rowLoss_i)/dx`; this module
 * says what `scale` is and turns rowLoss into the reduced value:
 *
 * | reduction   | value                          | scale                     |
 * |-------------|--------------------------------|---------------------------|
 * | 'none'      | rowLoss, shape input[:-1]      | 1 (upstream scales rows)  |
 * | 'sum'       | sum_i rowLoss_i / normalizer   | 1 / normalizer (1 if none)|
 * | 'mean'      | sum_i rowLoss_i / denominator  | 1 / denominator           |
 * | 'batchmean' | sum_i rowLoss_i / batch        | 1 / batch                 |
 *
 * - batch: input.shape[0] (PyTorch kl_div), or with token labels the number of non-ignored rows.
 * - The denominator of 'mean' is rows*C for the KL losses (PyTorch's kl_div averages over
 *   elements) and with token labels the number of non-ignored rows (TRL's generalized_jsd_loss,
 *   Liger); for cross-entropy the number of non-ignored rows, or with class weights the sum of the
 *   weights of the non-ignored rows' labels (PyTorch). A count of 0 (every row ignored) becomes 1.
 * - normalizer: a global count supplied by the caller (e.g. the valid tokens of every data-parallel
 *   rank, TRL's num_items_in_batch), so that the 'sum' of each shard divided by it adds up across
 *   shards to the loss of the whole batch. Giving it implies (and only allows) reduction 'sum'.
 */
import { checkNumber, checkOneOf } from './validate.js';

export type Reduction = 'none' | 'sum' | 'mean' | 'batchmean';
export const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean', 'batchmean'];

/** Divisors of 'batchmean' and 'mean' for a loss (see the table above). */
export interface Denominators {
  batch: number;
  mean: number;
}

export interface RowReduction<R extends Reduction = Reduction> {
  reduction: R;
  scale: number;
}

/**
 * Reads `reduction` (default `dflt`, one of `allowed`) and `normalizer` from a loss's options and
 * returns the reduction with its scale.
 */
export function rowReduction<R extends Reduction>(
  opts: { reduction?: unknown; normalizer?: unknown }, dflt: R, allowed: readonly R[], d: Denominators,
): RowReduction<R> {
  if (opts.normalizer !== undefined) {
    const normalizer = checkNumber(opts.normalizer, 'normalizer', { min: 0, minExclusive: true });
    if (opts.reduction !== undefined && opts.reduction !== 'sum') {
      throw new RangeError(`normalizer divides the 'sum' of a shard: use reduction 'sum' (or omit it) with it, got reduction ${JSON.stringify(opts.reduction)}`);
    }
    return { reduction: 'sum' as R, scale: 1 / normalizer };
  }
  const reduction = checkOneOf(opts.reduction ?? dflt, 'reduction', allowed);
  return { reduction, scale: reductionScale(reduction, d) };
}

export function reductionScale(reduction: Reduction, d: Denominators): number {
  switch (reduction) {
    case 'none':
    case 'sum':
      return 1;
    case 'mean':
      return 1 / d.mean;
    case 'batchmean':
      return 1 / Math.max(d.batch, 1);
  }
}

/** Rows whose label is not ignoreIndex, clamped to >= 1 (every row ignored gives a loss of 0). */
export function validRows(labels: Int32Array, ignoreIndex: number): number {
  return crossEntropyDenominator(labels, ignoreIndex, null);
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
