/**
 * Token masks shared by the KD losses: `labels` (int32 of the logits' leading shape) and
 * `ignoreIndex` (default -100). Rows whose label is ignoreIndex are skipped inside the fused kernel
 * (loss 0, gradient 0), and 'batchmean' / 'mean' divide by the non-ignored rows (clamped to >= 1),
 * as TRL's generalized_jsd_loss with labels and Liger's distillation losses do.
 */
import type { RowMask } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { type Denominators, validRows } from '../kernels/reduction.js';
import { checkLabels, checkNumber, checkSameBackend } from '../kernels/validate.js';

export interface TokenMask {
  rowMask: RowMask;
  denominators: Denominators;
}

/** The mask of `opts.labels`, or null when no labels are given. */
export function tokenMask(
  opts: { labels?: Tensor; ignoreIndex?: number }, input: Tensor, lead: readonly number[], classes: number,
): TokenMask | null {
  const ignoreIndex = checkNumber(opts.ignoreIndex ?? -100, 'ignoreIndex', { integer: true });
  if (opts.labels === undefined) return null;
  const y = checkLabels(opts.labels, 'labels', lead, classes, ignoreIndex);
  checkSameBackend([input, opts.labels], ['student', 'labels']);
  const valid = validRows(y, ignoreIndex);
  return { rowMask: { labels: opts.labels.storage, ignoreIndex }, denominators: { batch: valid, mean: valid } };
}
