/** sum and mean over everything, over rows (axis 0 of a matrix) or over the last axis. */
import { Tensor, fromStorage } from '../tensor.js';
import { record } from '../autograd/node.js';
import { checkNumber, fmtShape } from '../kernels/validate.js';
import { affineRaw } from './arithmetic.js';
import { as2d, expand, f32Tensor, type Broadcast } from './util.js';

function reduce(x: Tensor, axis: number | undefined, mean: boolean, name: string): Tensor {
  f32Tensor(x, 'x');
  const [rows, cols] = as2d(x.shape);
  let kind: 'all' | 'rows' | 'cols';
  let outShape: number[];
  if (axis === undefined) {
    kind = 'all';
    outShape = [];
  } else {
    checkNumber(axis, 'axis', { integer: true });
    const last = x.shape.length - 1;
    if (x.shape.length === 2 && axis === 0) {
      kind = 'rows';
      outShape = [cols];
    } else if (axis === last || axis === -1) {
      kind = 'cols';
      outShape = x.shape.slice(0, -1);
    } else {
      throw new RangeError(`${name}: axis must be 0 (of a matrix) or the last axis, got ${axis} for shape ${fmtShape(x.shape)}`);
    }
  }
  const n = kind === 'all' ? x.size : kind === 'rows' ? rows : cols;
  const scale = mean ? 1 / Math.max(n, 1) : 1;
  const be = x.backend;
  const y = fromStorage(be, be.sum(x.storage, rows, cols, kind, scale), outShape);
  // The gradient broadcasts g back: a scalar for 'all', a row vector for 'rows', a column for 'cols'.
  const back: Broadcast = kind === 'all' ? 'scalar' : kind === 'rows' ? 'row' : 'col';
  return record(y, name, [x], (g) => {
    const e = expand(g, back, x.shape);
    if (scale === 1) return [e];
    const out = affineRaw(e, scale, 0);
    e.dispose();
    return [out];
  });
}

export function sum(x: Tensor, axis?: number): Tensor {
  return reduce(x, axis, false, 'sum');
}

export function mean(x: Tensor, axis?: number): Tensor {
  return reduce(x, axis, true, 'mean');
}
