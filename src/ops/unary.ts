/** relu, exp, log, square, sqrt and their gradients. */
import type { UnaryOp } from '../backends/backend.js';
import { Tensor, fromStorage } from '../tensor.js';
import { record } from '../autograd/node.js';
import { affineRaw, binaryRaw } from './arithmetic.js';
import { f32Tensor } from './util.js';

function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  return fromStorage(x.backend, x.backend.unary(op, x.storage, x.size), x.shape);
}

/** relu(x) = max(x, 0); dx = g where y > 0 (the output is saved, not the input). */
export function relu(x: Tensor): Tensor {
  const y = unaryRaw('relu', f32Tensor(x, 'x'));
  return record(y, 'relu', [x], (g) => [binaryRaw('reluGrad', g, y)]);
}

/** exp(x); dx = g * y. */
export function exp(x: Tensor): Tensor {
  const y = unaryRaw('exp', f32Tensor(x, 'x'));
  return record(y, 'exp', [x], (g) => [binaryRaw('mul', g, y)]);
}

/** log(x); dx = g / x. */
export function log(x: Tensor): Tensor {
  const y = unaryRaw('log', f32Tensor(x, 'x'));
  return record(y, 'log', [x], (g) => [binaryRaw('div', g, x)]);
}

/** x^2; dx = 2 g x. */
export function square(x: Tensor): Tensor {
  const y = unaryRaw('square', f32Tensor(x, 'x'));
  return record(y, 'square', [x], (g) => {
    const gx = binaryRaw('mul', g, x);
    const out = affineRaw(gx, 2, 0);
    gx.dispose();
    return [out];
  });
}

/** sqrt(x); dx = g / (2 y). */
export function sqrt(x: Tensor): Tensor {
  const y = unaryRaw('sqrt', f32Tensor(x, 'x'));
  return record(y, 'sqrt', [x], (g) => {
    const t = binaryRaw('div', g, y);
    const out = affineRaw(t, 0.5, 0);
    t.dispose();
    return [out];
  });
}
