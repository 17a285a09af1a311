/**
 * The thin wrapper every fused loss shares: reduce the kernel's per-row losses (src/kernels/reduction.ts
 * says how) and attach the gradients the kernel already wrote, pre-scaled by the reduction.
 *
 * Backward: when the upstream gradient is the unit seed of `loss.backward()`, the kernel's gradient
 * is handed over as it is (no second pass over [B, C]); otherwise it is scaled by the upstream
 * scalar (or, for reduction 'none', row by row).
 */
import type { Backend, Storage } from '../backends/backend.js';
import type { Reduction } from '../kernels/reduction.js';
import { Tensor, fromStorage } from '../tensor.js';
import { isGradEnabled, record } from '../autograd/node.js';
import { unitSeeds } from '../autograd/tape.js';
import { as2d, view } from '../ops/util.js';

/** Whether a loss kernel should write the gradient of `t`. */
export function wantsGrad(t: Tensor): boolean {
  return isGradEnabled() && t.requiresGrad;
}

/**
 * sum_i rowLoss_i * scale as a scalar tensor, or for 'none' rowLoss itself, shaped as the leading
 * dimensions `lead` of the input. Takes ownership of rowLoss.
 */
export function reduceRows(be: Backend, rowLoss: Storage, lead: readonly number[], reduction: Reduction, scale: number): Tensor {
  if (reduction === 'none') return fromStorage(be, rowLoss, lead);
  const out = fromStorage(be, be.sum(rowLoss, 1, rowLoss.size, 'all', scale), []);
  be.dispose(rowLoss);
  return out;
}

/** Attach pre-computed gradients (one per input, undefined where none) to a loss value. */
export function withFusedGrad(name: string, value: Tensor, inputs: Tensor[], grads: (Storage | undefined)[]): Tensor {
  const be = value.backend;
  const gradTensors = grads.map((g, i) => (g ? fromStorage(be, g, inputs[i].shape) : null));
  if (!gradTensors.some((g) => g)) return value;
  let used = false;
  return record(value, name, inputs, (g) => {
    if (used) throw new Error(`${name}: backward() through this loss a second time; as in PyTorch, run the forward again`);
    used = true;
    return gradTensors.map((G) => {
      if (!G || unitSeeds.has(g)) return G;
      const [rows, cols] = as2d(G.shape);
      const upstream = value.size === 1 ? view(g, 'scalar', cols) : view(g, 'col', cols);
      const out = fromStorage(be, be.binary('mul', view(G, 'full', cols), upstream, rows, cols), G.shape);
      G.dispose();
      return out;
    });
  });
}

/** alpha * soft + (1 - alpha) * hard, elementwise on the device (soft and hard of one shape). */
export function blend(be: Backend, soft: Tensor, hard: Tensor, alpha: number): Tensor {
  const n = soft.size;
  const a = be.affine(soft.storage, n, alpha, 0);
  const b = be.affine(hard.storage, n, 1 - alpha, 0);
  const sum = be.binary('add', { storage: a, rowStride: 0, colStride: 1 }, { storage: b, rowStride: 0, colStride: 1 }, 1, n);
  be.dispose(a);
  be.dispose(b);
  return fromStorage(be, sum, soft.shape);
}
