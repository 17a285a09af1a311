/**
 * Knowledge-distillation loss (Hinton et al. 2015), fused softmax + divergence + gradient.
 *
 * Inputs are logits [..., C] (e.g. [batch, tokens, vocab]); each row over the last dimension is one
 * distribution. With p_s = softmax(s / T), p_t = softmax(t / T), per row i:
 *   'forward-kl' (default):  T^2 * KL(p_t || p_s) = T^2 * sum_j p_t,j (log p_t,j - log p_s,j)
 *   'reverse-kl':            T^2 * KL(p_s || p_t)
 *   'jsd' with beta:         m = beta p_t + (1 - beta) p_s,
 *                            T^2 * (beta KL(p_t || m) + (1 - beta) KL(p_s || m))   (TRL's generalized JSD);
 *                            beta = 0 is forward KL and beta = 1 reverse KL, as in TRL and Liger.
 * The T^2 factor keeps gradient magnitudes comparable across temperatures (Hinton et al. 2015, sec. 2);
 * TRL's and Liger's losses are this one divided by T^2.
 * Token mask: `labels` (int32, shape input.shape[:-1]) with `ignoreIndex` (default -100): a row
 * whose label is ignoreIndex contributes 0 to the loss and to every gradient (skipped inside the
 * fused kernel), as TRL's generalized_jsd_loss and Liger's losses do with labels.
 * Reductions (src/kernels/reduction.ts): 'batchmean' (default, sum / input.shape[0] as PyTorch's
 * kl_div; with labels / the non-ignored rows), 'sum' (divided by `normalizer` when given), 'mean'
 * (sum / elements, kl_div's elementwise mean; with labels / the non-ignored rows), 'none'
 * (input.shape[:-1]).
 * A teacher logit of -Infinity (masked class) contributes 0 to the loss and to the gradients.
 * Gradients flow to the student, and to the teacher when it requires grad (online distillation).
 */
import type { Divergence } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { REDUCTIONS, type Reduction, rowReduction } from '../kernels/reduction.js';
import { tokenMask } from './mask.js';
import { DIVERGENCES, resolveDivergence } from '../kernels/divergence.js';
import {
  checkLogits, checkNumber, checkOneOf, checkOptions, checkSameBackend, checkSameShape, checkTemperature,
} from '../kernels/validate.js';
import { reduceRows, wantsGrad, withFusedGrad } from './fused.js';

export interface KdLossOptions {
  temperature?: number;
  divergence?: Divergence;
  /** JSD: weight of the teacher in the mixture, in [0, 1] (default 0.5). */
  beta?: number;
  reduction?: Reduction;
  /** Divide the 'sum' by this global count (data-parallel shards); implies reduction 'sum'. */
  normalizer?: number;
  /** int32 [...] (input.shape[:-1]): rows whose label is ignoreIndex are masked out. */
  labels?: Tensor;
  /** Default -100. */
  ignoreIndex?: number;
}

export function kdLoss(student: Tensor, teacher: Tensor, opts: KdLossOptions = {}): Tensor {
  checkOptions(opts, 'options', ['temperature', 'divergence', 'beta', 'reduction', 'normalizer', 'labels', 'ignoreIndex']);
  const { rows, cols, lead } = checkLogits(student, 'student');
  checkLogits(teacher, 'teacher');
  checkSameShape(student, 'student', teacher, 'teacher');
  checkSameBackend([student, teacher], ['student', 'teacher']);
  const temperature = checkTemperature(opts.temperature ?? 1, 'temperature');
  const beta = checkNumber(opts.beta ?? 0.5, 'beta', { min: 0, max: 1 });
  const divergence = resolveDivergence(checkOneOf(opts.divergence ?? 'forward-kl', 'divergence', DIVERGENCES), beta);
  const mask = tokenMask(opts, student, lead, cols);
  const { reduction, scale } = rowReduction(opts, 'batchmean', REDUCTIONS, mask?.denominators ?? { batch: lead[0], mean: rows * cols });
  const be = student.backend;
  const r = be.softmaxKL({
    student: student.storage, teacher: teacher.storage, rows, cols, temperature, divergence, beta,
    studentGradScale: wantsGrad(student) ? scale : null,
    teacherGradScale: wantsGrad(teacher) ? scale : null,
    rowMask: mask?.rowMask ?? null,
  });
  const value = reduceRows(be, r.rowLoss, lead, reduction, scale);
  return withFusedGrad('kdLoss', value, [student, teacher], [r.gradStudent, r.gradTeacher]);
}
