/** Fused cross-entropy on the native addon: math in src/backends/cpu/cross_entropy.ts. */
import type { CrossEntropyArgs, CrossEntropyResult } from '../backend.js';
import { allocF32, f32, i32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

export function crossEntropy(a: CrossEntropyArgs): CrossEntropyResult {
  const rowLoss = allocF32(a.rows);
  const g = a.gradScale === null ? null : allocF32(a.rows * a.cols);
  loadAddon().crossEntropy(
    f32(a.logits), i32(a.labels), a.rows, a.cols, a.labelSmoothing, a.ignoreIndex,
    a.weight ? f32(a.weight) : null, rowLoss, g, a.gradScale ?? 0,
  );
  const r: CrossEntropyResult = { rowLoss: wrap(rowLoss) };
  if (g) r.grad = wrap(g);
  return r;
}
