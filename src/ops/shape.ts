/** reshape, flatten, transpose, detach. */
import { Tensor, fromStorage } from '../tensor.js';
import type { DType } from '../backends/backend.js';
import { record } from '../autograd/node.js';
import { checkMatrix, checkTensor, fmtShape } from '../kernels/validate.js';

export function reshape<D extends DType = 'float32'>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  checkTensor(x, 'x');
  if (!Array.isArray(shape)) throw new TypeError('reshape: shape must be an array');
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new RangeError('reshape: only one dimension may be -1');
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) throw new RangeError(`reshape: bad dimension ${d} in ${fmtShape(shape)}`);
    else known *= d;
  });
  const s = [...shape];
  if (infer >= 0) s[infer] = known === 0 ? 0 : x.size / known;
  if (s.reduce((a, b) => a * b, 1) !== x.size || !Number.isInteger(s[Math.max(infer, 0)])) {
    throw new RangeError(`reshape: cannot view ${fmtShape(x.shape)} (${x.size} elements) as ${fmtShape(shape)}`);
  }
  const y = x.view(s);
  return record(y as Tensor, 'reshape', [x as Tensor], (g) => [g.view(x.shape)]) as Tensor<DType> as Tensor<D>;
}

/** Collapse dims from startDim on: [N, C, H, W] -> [N, C*H*W]. */
export function flatten<D extends DType = 'float32'>(x: Tensor<D>, startDim = 1): Tensor<D> {
  checkTensor(x, 'x');
  const lead = x.shape.slice(0, startDim);
  return reshape(x, [...lead, -1]);
}

/** 2-D transpose. */
export function transpose(x: Tensor): Tensor {
  const [rows, cols] = checkMatrix(x, 'x');
  const be = x.backend;
  const y = fromStorage(be, be.transpose(x.storage, rows, cols), [cols, rows]);
  return record(y, 'transpose', [x], (g) => [fromStorage(be, be.transpose(g.storage, cols, rows), [rows, cols])]);
}

/** The same values, cut from the graph. */
export function detach<D extends DType = 'float32'>(x: Tensor<D>): Tensor<D> {
  checkTensor(x, 'x');
  return x.view(x.shape);
}
