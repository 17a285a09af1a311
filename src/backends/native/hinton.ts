/** Fused Hinton loss on the native addon (one read of the student row): math in src/backends/cpu/hinton.ts. */
import type { HintonArgs, HintonResult } from '../backend.js';
import { allocF32, f32, i32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

export function hinton(a: HintonArgs): HintonResult {
  const softRow = allocF32(a.rows);
  const hardRow = allocF32(a.rows);
  // A null scale counts as 0; the gradient is written when either scale is non-null.
  const g = a.softGradScale === null && a.hardGradScale === null ? null : allocF32(a.rows * a.cols);
  loadAddon().hinton(
    f32(a.student), f32(a.teacher), i32(a.labels), a.rows, a.cols, a.temperature, a.labelSmoothing,
    a.ignoreIndex, a.weight ? f32(a.weight) : null, softRow, hardRow, g, a.softGradScale ?? 0, a.hardGradScale ?? 0,
  );
  const r: HintonResult = { softRow: wrap(softRow), hardRow: wrap(hardRow) };
  if (g) r.grad = wrap(g);
  return r;
}
