/** Fused multi-teacher KL on the native addon: math in src/backends/cpu/multi_teacher.ts. */
import type { MultiTeacherArgs, MultiTeacherResult } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';
import { maskArgs } from './softmax_kl.js';

export function multiTeacherKL(a: MultiTeacherArgs): MultiTeacherResult {
  const n = a.rows * a.cols;
  const rowLoss = allocF32(a.rows);
  const gs = a.studentGradScale === null ? null : allocF32(n);
  const gts = a.teacherGradScales.map((sc) => (sc === null ? null : allocF32(n)));
  const anyT = gts.some((g) => g !== null);
  loadAddon().multiTeacherKL(
    f32(a.student), a.teachers.map(f32), Float64Array.from(a.weights), a.rows, a.cols, a.temperature,
    rowLoss, gs, anyT ? gts : null, a.studentGradScale ?? 0,
    anyT ? Float64Array.from(a.teacherGradScales, (sc) => sc ?? 0) : null, ...maskArgs(a.rowMask),
  );
  const r: MultiTeacherResult = { rowLoss: wrap(rowLoss) };
  if (gs) r.gradStudent = wrap(gs);
  if (anyT) r.gradTeachers = gts.map((g) => (g ? wrap(g) : undefined));
  return r;
}
