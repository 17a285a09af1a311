/**
 * Fused linear + KD on host memory (cpu, and native with the addon's kernels): the chunked driver
 * of src/backends/fused_linear.ts, with row blocks taken as views of the caller's arrays (no copy).
 */
import type { Backend, FusedLinearKdArgs, FusedLinearKdResult } from '../backend.js';
import { runFusedLinearKd, type FusedLinearOutputs, type RowBlocks } from '../fused_linear.js';
import { host, wrap } from './storage.js';

export const hostRowBlocks: RowBlocks = {
  take: (x, r0, count, cols) => wrap(host(x).data.subarray(r0 * cols, (r0 + count) * cols)),
  put: (dst, r0, src, count, cols) => host(dst).data.set(host(src).data.subarray(0, count * cols), r0 * cols),
  drop: () => {}, // views: nothing to free (never handed to dispose, which would pool the array)
};

export function fusedLinearKd(be: Backend, a: FusedLinearKdArgs, out?: FusedLinearOutputs): FusedLinearKdResult {
  return runFusedLinearKd(be, hostRowBlocks, a, out);
}
