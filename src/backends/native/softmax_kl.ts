/** Fused softmax-KL on the native addon: math in src/backends/cpu/softmax_kl.ts, C++ in native/kernels. */
import type { Divergence, RowMask, SoftmaxKLArgs, SoftmaxKLResult } from '../backend.js';
import { allocF32, f32, i32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

export const DIVERGENCE_CODE: Record<Divergence, number> = { 'forward-kl': 0, 'reverse-kl': 1, jsd: 2 };

/** The addon's trailing (maskLabels, maskIgnore) arguments: the dispatcher skips masked rows. */
export function maskArgs(m: RowMask | null | undefined): [Int32Array | null, number] {
  return m ? [i32(m.labels), m.ignoreIndex] : [null, 0];
}

export function softmaxKL(a: SoftmaxKLArgs): SoftmaxKLResult {
  const n = a.rows * a.cols;
  const rowLoss = allocF32(a.rows);
  const gs = a.studentGradScale === null ? null : allocF32(n);
  const gt = a.teacherGradScale === null ? null : allocF32(n);
  loadAddon().softmaxKL(
    f32(a.student), f32(a.teacher), a.rows, a.cols, a.temperature, DIVERGENCE_CODE[a.divergence], a.beta,
    rowLoss, gs, gt, a.studentGradScale ?? 0, a.teacherGradScale ?? 0, ...maskArgs(a.rowMask),
  );
  const r: SoftmaxKLResult = { rowLoss: wrap(rowLoss) };
  if (gs) r.gradStudent = wrap(gs);
  if (gt) r.gradTeacher = wrap(gt);
  return r;
}
