/**
 * Sum of squared differences (reference cpu kernel), the core of the FitNets hint loss
 * (Romero et al. 2015); 'mean' / 'sum' are applied above the backend.
 *
 *   sumSq = sum_i (a_i - b_i)^2          (a [1] storage, accumulated in float64)
 *   gradA = aGradScale * 2 (a - b)
 *   gradB = bGradScale * 2 (b - a)
 */
import type { MseArgs, MseResult } from '../backend.js';
import { f32, wrap } from './storage.js';

export function mse(args: MseArgs): MseResult {
  const { size, aGradScale, bGradScale } = args;
  const a = f32(args.a);
  const b = f32(args.b);
  const gradA = aGradScale === null ? null : new Float32Array(size);
  const gradB = bGradScale === null ? null : new Float32Array(size);
  let sumSq = 0;
  for (let i = 0; i < size; i++) {
    // 1. Difference in float64, 2. accumulate its square, 3. write the scaled gradients.
    const diff = a[i] - b[i];
    sumSq += diff * diff;
    if (gradA) gradA[i] = (aGradScale as number) * 2 * diff;
    if (gradB) gradB[i] = (bGradScale as number) * -2 * diff;
  }
  const result: MseResult = { sumSq: wrap(new Float32Array([sumSq])) };
  if (gradA) result.gradA = wrap(gradA);
  if (gradB) result.gradB = wrap(gradB);
  return result;
}
