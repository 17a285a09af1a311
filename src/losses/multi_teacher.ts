/**
 * Multi-teacher distillation: the student matches a weighted mixture of the teachers' soft targets.
 *
 *   q = sum_k w_k softmax(t_k / T),   loss_i = T^2 * KL(q_i || softmax(s_i / T))
 *
 * Inputs are logits [..., C], one distribution per row over the last dimension. Weights default to
 * uniform, must be >= 0 and sum to 1. Token mask (`labels`, `ignoreIndex`), reductions and
 * `normalizer` as kdLoss (default 'batchmean').
 * Gradients flow to the student and to any teacher that requires grad.
 */
import type { Tensor } from '../tensor.js';
import { REDUCTIONS, type Reduction, rowReduction } from '../kernels/reduction.js';
import {
  checkLogits, checkOptions, checkSameBackend, checkSameShape, checkTeacherWeights, checkTemperature, describe,
} from '../kernels/validate.js';
import { reduceRows, wantsGrad, withFusedGrad } from './fused.js';
import { tokenMask } from './mask.js';

export interface MultiTeacherOptions {
  weights?: number[];
  temperature?: number;
  reduction?: Reduction;
  /** Divide the 'sum' by this global count (data-parallel shards); implies reduction 'sum'. */
  normalizer?: number;
  /** int32 [...] (input.shape[:-1]): rows whose label is ignoreIndex are masked out. */
  labels?: Tensor;
  /** Default -100. */
  ignoreIndex?: number;
}

export function multiTeacherKdLoss(student: Tensor, teachers: Tensor[], opts: MultiTeacherOptions = {}): Tensor {
  checkOptions(opts, 'options', ['weights', 'temperature', 'reduction', 'normalizer', 'labels', 'ignoreIndex']);
  const { rows, cols, lead } = checkLogits(student, 'student');
  if (!Array.isArray(teachers) || teachers.length === 0) {
    throw new TypeError(`teachers must be a non-empty array of Tensors of the student's shape, got ${describe(teachers)}`);
  }
  teachers.forEach((t, k) => {
    checkLogits(t, `teachers[${k}]`);
    checkSameShape(student, 'student', t, `teachers[${k}]`);
  });
  checkSameBackend([student, ...teachers], ['student', ...teachers.map((_, k) => `teachers[${k}]`)]);
  const K = teachers.length;
  const weights = checkTeacherWeights(opts.weights, 'weights', K);
  const temperature = checkTemperature(opts.temperature ?? 1, 'temperature');
  const mask = tokenMask(opts, student, lead, cols);
  const { reduction, scale } = rowReduction(opts, 'batchmean', REDUCTIONS, mask?.denominators ?? { batch: lead[0], mean: rows * cols });
  const be = student.backend;
  const r = be.multiTeacherKL({
    student: student.storage, teachers: teachers.map((t) => t.storage), weights, rows, cols, temperature,
    studentGradScale: wantsGrad(student) ? scale : null,
    teacherGradScales: teachers.map((t) => (wantsGrad(t) ? scale : null)),
    rowMask: mask?.rowMask ?? null,
  });
  const value = reduceRows(be, r.rowLoss, lead, reduction, scale);
  return withFusedGrad('multiTeacherKdLoss', value, [student, ...teachers], [r.gradStudent, ...(r.gradTeachers ?? [])]);
}
