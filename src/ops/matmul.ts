/** matmul (2-D) and linear (x W^T + b) with their gradients. */
import { Tensor, fromStorage } from '../tensor.js';
import { record } from '../autograd/node.js';
import { checkMatrix, checkSameBackend, checkTensor, fmtShape } from '../kernels/validate.js';
import { view } from './util.js';

/** C = A B for A [m, k], B [k, n]. dA = g B^T, dB = A^T g. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [m, k] = checkMatrix(a, 'a');
  const [k2, n] = checkMatrix(b, 'b');
  checkSameBackend([a, b], ['a', 'b']);
  if (k !== k2) throw new RangeError(`matmul: b must have shape [${k}, n] to match a ${fmtShape(a.shape)}, got ${fmtShape(b.shape)}`);
  const be = a.backend;
  const y = fromStorage(be, be.matmul(a.storage, b.storage, m, k, n, false, false), [m, n]);
  return record(y, 'matmul', [a, b], (g) => [
    a.requiresGrad ? fromStorage(be, be.matmul(g.storage, b.storage, m, n, k, false, true), [m, k]) : null,
    b.requiresGrad ? fromStorage(be, be.matmul(a.storage, g.storage, k, m, n, true, false), [k, n]) : null,
  ]);
}

/**
 * y = x W^T + b for x [B, in], W [out, in], b [out] (PyTorch's nn.functional.linear).
 * dx = g W, dW = g^T x, db = sum over rows of g.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const [rows, inF] = checkMatrix(x, 'x');
  const [outF, in2] = checkMatrix(weight, 'weight');
  if (in2 !== inF) throw new RangeError(`linear: weight must have shape [out, ${inF}] to match x ${fmtShape(x.shape)}, got ${fmtShape(weight.shape)}`);
  const inputs = [x, weight];
  if (bias) {
    checkTensor(bias, 'bias', { dtype: 'float32' });
    if (bias.size !== outF) throw new RangeError(`linear: bias must have shape [${outF}], got ${fmtShape(bias.shape)}`);
    inputs.push(bias);
  }
  checkSameBackend(inputs, ['x', 'weight', 'bias']);
  const be = x.backend;
  let ys = be.matmul(x.storage, weight.storage, rows, inF, outF, false, true);
  if (bias) {
    const withBias = be.binary('add', { storage: ys, rowStride: outF, colStride: 1 }, view(bias, 'row', outF), rows, outF);
    be.dispose(ys);
    ys = withBias;
  }
  const y = fromStorage(be, ys, [rows, outF]);
  return record(y, 'linear', inputs, (g) => [
    x.requiresGrad ? fromStorage(be, be.matmul(g.storage, weight.storage, rows, outF, inF, false, false), [rows, inF]) : null,
    weight.requiresGrad ? fromStorage(be, be.matmul(g.storage, x.storage, outF, rows, inF, true, false), [outF, inF]) : null,
    bias?.requiresGrad ? fromStorage(be, be.sum(g.storage, rows, outF, 'rows', 1), bias.shape) : null,
  ]);
}
