/** Gram similarity (SP) on the native addon: math in src/backends/cpu/gram.ts. */
import type { GramArgs, GramResult } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

export function gramSimilarity(a: GramArgs): GramResult {
  const loss = allocF32(1);
  const gs = a.studentGradScale === null ? null : allocF32(a.b * a.ds);
  const gt = a.teacherGradScale === null ? null : allocF32(a.b * a.dt);
  loadAddon().gramSimilarity(
    f32(a.student), f32(a.teacher), a.b, a.ds, a.dt, loss, gs, gt, a.studentGradScale ?? 0, a.teacherGradScale ?? 0,
  );
  const r: GramResult = { loss: wrap(loss) };
  if (gs) r.gradStudent = wrap(gs);
  if (gt) r.gradTeacher = wrap(gt);
  return r;
}
