/**
 * Similarity-preserving distillation (Tung & Mori, ICCV 2019).
 *
 *   G_s = normalize_rows(F_s F_s^T),  G_t = normalize_rows(F_t F_t^T)   (b x b; rows / max(||row||, 1e-12))
 *   loss = ||G_s - G_t||_F^2 / b^2
 *
 * F_s [b, ds] and F_t [b, dt] may have different widths (only the batch must match); features of
 * higher rank are flattened per sample. Gradients flow to both feature matrices.
 */
import type { Tensor } from '../tensor.js';
import { checkNumber, checkSameBackend, checkTensor, fmtShape } from '../kernels/validate.js';
import { fromStorage } from '../tensor.js';
import { wantsGrad, withFusedGrad } from './fused.js';
import { flatten } from '../ops/shape.js';

export function similarityLoss(studentFeatures: Tensor, teacherFeatures: Tensor): Tensor {
  let fs = checkTensor(studentFeatures, 'studentFeatures', { dtype: 'float32' });
  let ft = checkTensor(teacherFeatures, 'teacherFeatures', { dtype: 'float32' });
  checkSameBackend([fs, ft], ['studentFeatures', 'teacherFeatures']);
  if (fs.rank < 2) throw new RangeError(`studentFeatures must be [b, d] (or [b, ...]), got ${fmtShape(fs.shape)}`);
  if (ft.rank < 2) throw new RangeError(`teacherFeatures must be [b, d] (or [b, ...]), got ${fmtShape(ft.shape)}`);
  if (fs.shape[0] !== ft.shape[0]) {
    throw new RangeError(`teacherFeatures must have the batch size of studentFeatures (${fs.shape[0]}), got ${fmtShape(ft.shape)}`);
  }
  if (fs.rank > 2) fs = flatten(fs);
  if (ft.rank > 2) ft = flatten(ft);
  const [b, ds] = fs.shape;
  const dt = ft.shape[1];
  checkNumber(b, 'batch size', { min: 1 });
  const be = fs.backend;
  const r = be.gramSimilarity({
    student: fs.storage, teacher: ft.storage, b, ds, dt,
    studentGradScale: wantsGrad(fs) ? 1 : null,
    teacherGradScale: wantsGrad(ft) ? 1 : null,
  });
  const value = fromStorage(be, r.loss, []);
  return withFusedGrad('similarityLoss', value, [fs, ft], [r.gradStudent, r.gradTeacher]);
}
