/** Inverted dropout with the shared counter-based RNG (same mask on every backend for a seed). */
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
  const be = x.backend;
  const { y: ys, mask: ms } = be.dropout(x.storage, x.size, p, seed >>> 0);
  const y = fromStorage(be, ys, x.shape);
  const mask = fromStorage(be, ms, x.shape);
  if (!x.requiresGrad) mask.dispose();
  return record(y, 'dropout', [x], (g) => [binaryRaw('mul', g, mask)]);
}
