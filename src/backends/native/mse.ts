/** MSE (hint loss) on the native addon: math in src/backends/cpu/mse.ts. */
import type { MseArgs, MseResult } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

export function mse(a: MseArgs): MseResult {
  const sumSq = allocF32(1);
  const ga = a.aGradScale === null ? null : allocF32(a.size);
  const gb = a.bGradScale === null ? null : allocF32(a.size);
  loadAddon().mse(f32(a.a), f32(a.b), a.size, sumSq, ga, gb, a.aGradScale ?? 0, a.bGradScale ?? 0);
  const r: MseResult = { sumSq: wrap(sumSq) };
  if (ga) r.gradA = wrap(ga);
  if (gb) r.gradB = wrap(gb);
  return r;
}
