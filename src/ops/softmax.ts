/** Row softmax and log-softmax over the last axis; the backward uses the saved output. */
import { Tensor, fromStorage } from '../tensor.js';
import { record } from '../autograd/node.js';
import { as2d, f32Tensor } from './util.js';

function softmaxOp(x: Tensor, log: boolean): Tensor {
  f32Tensor(x, 'x');
  const [rows, cols] = as2d(x.shape);
  const be = x.backend;
  const y = fromStorage(be, be.softmax(x.storage, rows, cols, log), x.shape);
  return record(y, log ? 'logSoftmax' : 'softmax', [x], (g) => [
    fromStorage(be, be.softmaxBackward(y.storage, g.storage, rows, cols, log), x.shape),
  ]);
}

export function softmax(x: Tensor): Tensor {
  return softmaxOp(x, false);
}

export function logSoftmax(x: Tensor): Tensor {
  return softmaxOp(x, true);
}
