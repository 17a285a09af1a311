/** Inverted dropout with the shared counter-based RNG (same mask on every backend for a seed). */
import type { Storage } from '../backends/backend.js';
import { Tensor, fromStorage, nextSeed } from '../tensor.js';
import { record } from '../autograd/node.js';
import { checkNumber } from '../kernels/validate.js';
import { binaryRaw } from './arithmetic.js';
import { f32Tensor } from './util.js';

export function dropout(x: Tensor, p: number, opts: { training?: boolean; seed?: number } = {}): Tensor {
  f32Tensor(x, 'x');
  checkNumber(p, 'p', { min: 0, max: 1 });
  if (opts.training === false || p === 0) return x;
  const seed = opts.seed === undefined ? nextSeed() : checkNumber(opts.seed, 'seed', { integer: true, min: 0 });
  return maskedOutput('dropout', x, x.backend.dropout(x.storage, x.size, p, seed >>> 0));
}

/** An op's output y whose gradient is g * mask (dropout, fakeQuantize's straight-through estimator). */
export function maskedOutput(name: string, x: Tensor, r: { y: Storage; mask: Storage }): Tensor {
  const y = fromStorage(x.backend, r.y, x.shape);
  const mask = fromStorage(x.backend, r.mask, x.shape);
  if (!x.requiresGrad) mask.dispose();
  return record(y, name, [x], (g) => [binaryRaw('mul', g, mask)]);
}
