/**
 * Hinton's distillation loss, fused: one read of the student logits for both terms.
 *
 *   loss = alpha * soft + (1 - alpha) * hard
 *   soft = T^2 * KL(softmax(t / T) || softmax(s / T)), 'mean' over the non-ignored rows
 *   hard = crossEntropy(s, labels) at T = 1, reduced 'mean' (over non-ignored rows, PyTorch)
 * Rows whose label is ignoreIndex (prompt or padding tokens) are masked in both terms.
 *
 * Logits are [..., C] with labels [...] (one per row: a sample or a token); the soft term's mean is
 * over the rows. alpha weights the soft (teacher) term, as in Hinton et al. 2015 and most KD code.
 * With reduction 'sum' both terms are sums (divided by `normalizer` when given); with 'none' the
 * loss has shape [...].
 * `returnParts: true` returns `{ loss, soft, hard }`; soft and hard are values only (no graph).
 */
import type { Tensor } from '../tensor.js';
import type { Reduction } from '../kernels/reduction.js';
import { reductionScale, rowReduction, validRows } from '../kernels/reduction.js';
import {
  checkLogits, checkNumber, checkOptions, checkSameBackend, checkSameShape, checkTemperature,
} from '../kernels/validate.js';
import { blend, reduceRows, wantsGrad, withFusedGrad } from './fused.js';
import { ceAttrs, type CrossEntropyOptions } from './cross_entropy.js';

export interface HintonLossOptions extends Omit<CrossEntropyOptions, 'reduction'> {
  temperature?: number;
  alpha?: number;
  reduction?: Exclude<Reduction, 'batchmean'>;
  returnParts?: boolean;
}

export interface HintonParts {
  loss: Tensor;
  soft: Tensor;
  hard: Tensor;
}

export function hintonLoss(student: Tensor, teacher: Tensor, labels: Tensor<'int32'>, opts: HintonLossOptions & { returnParts: true }): HintonParts;
export function hintonLoss(student: Tensor, teacher: Tensor, labels: Tensor<'int32'>, opts?: HintonLossOptions): Tensor;
export function hintonLoss(student: Tensor, teacher: Tensor, labels: Tensor<'int32'>, opts: HintonLossOptions = {}): Tensor | HintonParts {
  checkOptions(opts, 'options', [
    'temperature', 'alpha', 'labelSmoothing', 'ignoreIndex', 'weight', 'reduction', 'normalizer', 'returnParts',
  ]);
  const { rows, cols, lead } = checkLogits(student, 'student');
  checkLogits(teacher, 'teacher');
  checkSameShape(student, 'student', teacher, 'teacher');
  checkSameBackend([student, teacher, labels], ['student', 'teacher', 'labels']);
  const temperature = checkTemperature(opts.temperature ?? 4, 'temperature');
  const alpha = checkNumber(opts.alpha ?? 0.9, 'alpha', { min: 0, max: 1 });
  const be = student.backend;
  const ce = ceAttrs(opts, labels, lead, cols, be);
  const { reduction, scale: hardScale } = rowReduction(opts, 'mean', ['none', 'sum', 'mean'] as const, {
    batch: ce.denominator, mean: ce.denominator,
  });
  // The soft term is masked like the hard one: its mean is over the non-ignored rows (unweighted).
  const valid = validRows(ce.labels, ce.ignoreIndex);
  const softScale = reduction === 'mean' ? reductionScale('batchmean', { batch: valid, mean: valid }) : hardScale;
  const grad = wantsGrad(student);
  const r = be.hinton({
    student: student.storage, teacher: teacher.storage, labels: labels.storage, rows, cols, temperature,
    labelSmoothing: ce.labelSmoothing, ignoreIndex: ce.ignoreIndex, weight: ce.weight?.storage ?? null,
    softGradScale: grad ? alpha * softScale : null,
    hardGradScale: grad ? (1 - alpha) * hardScale : null,
  });
  ce.weight?.release();
  // soft and hard values, then alpha * soft + (1 - alpha) * hard, all on the device.
  const perRow = reduction === 'none';
  const softT = reduceRows(be, r.softRow, lead, perRow ? 'none' : 'sum', softScale);
  const hardT = reduceRows(be, r.hardRow, lead, perRow ? 'none' : 'sum', hardScale);
  const loss = withFusedGrad('hintonLoss', blend(be, softT, hardT, alpha), [student], [r.grad]);
  if (opts.returnParts) return { loss, soft: softT, hard: hardT };
  softT.dispose();
  hardT.dispose();
  return loss;
}
