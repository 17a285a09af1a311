/**
 * FitNets hint loss (Romero et al. 2015): mean squared error between the (regressed) student
 * features and the teacher's. The regressor is an ordinary nn.Linear applied by the caller:
 *
 *   loss = sum_i (s_i - t_i)^2 / N        ('mean', default; N = number of elements)  or  the sum.
 */
import type { Tensor } from '../tensor.js';
import { checkOneOf, checkOptions, checkSameBackend, checkSameShape, checkTensor } from '../kernels/validate.js';
import { fromStorage } from '../tensor.js';
import { wantsGrad, withFusedGrad } from './fused.js';

export function hintLoss(student: Tensor, teacher: Tensor, opts: { reduction?: 'mean' | 'sum' } = {}): Tensor {
  checkOptions(opts, 'options', ['reduction']);
  checkTensor(student, 'student', { dtype: 'float32' });
  checkTensor(teacher, 'teacher', { dtype: 'float32' });
  checkSameShape(student, 'student', teacher, 'teacher');
  checkSameBackend([student, teacher], ['student', 'teacher']);
  const reduction = checkOneOf(opts.reduction ?? 'mean', 'reduction', ['mean', 'sum'] as const);
  const n = student.size;
  const scale = reduction === 'mean' ? 1 / Math.max(n, 1) : 1;
  const be = student.backend;
  const r = be.mse({
    a: student.storage, b: teacher.storage, size: n,
    aGradScale: wantsGrad(student) ? scale : null,
    bGradScale: wantsGrad(teacher) ? scale : null,
  });
  let value = r.sumSq;
  if (scale !== 1) {
    value = be.affine(r.sumSq, 1, scale, 0);
    be.dispose(r.sumSq);
  }
  return withFusedGrad('hintLoss', fromStorage(be, value, []), [student, teacher], [r.gradA, r.gradB]);
}
