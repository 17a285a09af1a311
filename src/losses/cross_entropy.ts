/**
 * Cross-entropy on integer labels (PyTorch's nn.functional.cross_entropy), fused log-softmax + NLL + gradient.
 *
 * With log p = logSoftmax(z), label smoothing eps, class weights w (1 when absent), per row i with label y:
 *   loss_i = (1 - eps) * w_y * (-log p_y) + (eps / C) * sum_c w_c * (-log p_c),   0 when y == ignoreIndex
 * Logits are [..., C] with labels of shape [...] (one per row: a sample or a token).
 * Reductions: 'mean' (default) divides the sum by the number of non-ignored rows, or with weights by
 * sum of w_y over them (PyTorch); when every row is ignored the denominator is 1 and the loss 0
 * (PyTorch returns NaN there). 'sum' (divided by `normalizer` when given) and 'none' (shape [...]).
 */
import type { Tensor } from '../tensor.js';
import { REDUCTIONS, type Reduction, crossEntropyDenominator, rowReduction } from '../kernels/reduction.js';
import { checkLabels, checkLogits, checkNumber, checkOptions } from '../kernels/validate.js';
import { reduceRows, wantsGrad, withFusedGrad } from './fused.js';
import { classWeights, type ClassWeights } from './weights.js';

export interface CrossEntropyOptions {
  labelSmoothing?: number;
  ignoreIndex?: number;
  weight?: ClassWeights;
  reduction?: Exclude<Reduction, 'batchmean'>;
  /** Divide the 'sum' by this global count (data-parallel shards); implies reduction 'sum'. */
  normalizer?: number;
}

export const CE_REDUCTIONS = REDUCTIONS.filter((r) => r !== 'batchmean') as Exclude<Reduction, 'batchmean'>[];

/** Validated cross-entropy attributes, shared with hintonLoss. */
export function ceAttrs(opts: CrossEntropyOptions, labels: Tensor<'int32'>, lead: readonly number[], cols: number, be: Tensor['backend']) {
  const labelSmoothing = checkNumber(opts.labelSmoothing ?? 0, 'labelSmoothing', { min: 0, max: 1 });
  const ignoreIndex = checkNumber(opts.ignoreIndex ?? -100, 'ignoreIndex', { integer: true });
  const y = checkLabels(labels, 'labels', lead, cols, ignoreIndex);
  const w = classWeights(opts.weight, cols, be);
  const denominator = crossEntropyDenominator(y, ignoreIndex, w?.host ?? null);
  return { labels: y, labelSmoothing, ignoreIndex, weight: w, denominator };
}

export function crossEntropy(logits: Tensor, labels: Tensor<'int32'>, opts: CrossEntropyOptions = {}): Tensor {
  checkOptions(opts, 'options', ['labelSmoothing', 'ignoreIndex', 'weight', 'reduction', 'normalizer']);
  const { rows, cols, lead } = checkLogits(logits, 'logits');
  const be = logits.backend;
  const a = ceAttrs(opts, labels, lead, cols, be);
  const { reduction, scale } = rowReduction(opts, 'mean', CE_REDUCTIONS, { batch: a.denominator, mean: a.denominator });
  const r = be.crossEntropy({
    logits: logits.storage, labels: labels.storage, rows, cols,
    labelSmoothing: a.labelSmoothing, ignoreIndex: a.ignoreIndex, weight: a.weight?.storage ?? null,
    gradScale: wantsGrad(logits) ? scale : null,
  });
  a.weight?.release();
  const value = reduceRows(be, r.rowLoss, lead, reduction, scale);
  return withFusedGrad('crossEntropy', value, [logits], [r.grad]);
}
