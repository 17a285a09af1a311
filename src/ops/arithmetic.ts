/** add, sub, mul, div (broadcasting a scalar, a row vector or a column) and their gradients. */
import type { BinaryOp } from '../backends/backend.js';
import { Tensor, fromStorage } from '../tensor.js';
import { record } from '../autograd/node.js';
import { checkNumber } from '../kernels/validate.js';
import { as2d, broadcastShapes, f32Tensor, reduceTo, view } from './util.js';

/** Elementwise a op b on equal shapes (no graph). */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const [rows, cols] = as2d(a.shape);
  return fromStorage(a.backend, a.backend.binary(op, view(a, 'full', cols), view(b, 'full', cols), rows, cols), a.shape);
}

/** alpha * x + beta (no graph). */
export function affineRaw(x: Tensor, alpha: number, beta: number): Tensor {
  return fromStorage(x.backend, x.backend.affine(x.storage, x.size, alpha, beta), x.shape);
}

function scalarOp(x: Tensor, alpha: number, beta: number, name: string): Tensor {
  const y = affineRaw(x, alpha, beta);
  return record(y, name, [x], (g) => [alpha === 1 ? g : affineRaw(g, alpha, 0)]);
}

function binaryOp(op: 'add' | 'sub' | 'mul' | 'div', a: Tensor, b: Tensor): Tensor {
  const { shape, ka, kb } = broadcastShapes(a, b, op);
  const [rows, cols] = as2d(shape);
  const be = a.backend;
  const y = fromStorage(be, be.binary(op, view(a, ka, cols), view(b, kb, cols), rows, cols), shape);
  return record(y, op, [a, b], (g) => {
    const full = (t: Tensor, k: typeof ka) => view(t, k, cols);
    const gv = view(g, 'full', cols);
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      if (op === 'add' || op === 'sub') ga = g;
      else ga = fromStorage(be, be.binary(op === 'mul' ? 'mul' : 'div', gv, full(b, kb), rows, cols), shape);
      ga = reduceTo(ga, ka, a.shape);
    }
    if (b.requiresGrad) {
      if (op === 'add') gb = g;
      else if (op === 'sub') gb = affineRaw(g, -1, 0);
      else if (op === 'mul') gb = fromStorage(be, be.binary('mul', gv, full(a, ka), rows, cols), shape);
      else {
        // d(a/b)/db = -a / b^2 = -(a/b) / b = -y / b
        const t = fromStorage(be, be.binary('div', view(y, 'full', cols), full(b, kb), rows, cols), shape);
        gb = binaryRaw('mul', g, t);
        t.dispose();
        const n = affineRaw(gb, -1, 0);
        gb.dispose();
        gb = n;
      }
      gb = reduceTo(gb, kb, b.shape);
    }
    return [ga, gb];
  });
}

function operand(x: unknown, name: string): Tensor {
  return f32Tensor(x, name);
}

export function add(a: Tensor, b: Tensor | number): Tensor {
  operand(a, 'a');
  if (typeof b === 'number') return scalarOp(a, 1, checkNumber(b, 'b'), 'add');
  return binaryOp('add', a, operand(b, 'b'));
}

export function sub(a: Tensor, b: Tensor | number): Tensor {
  operand(a, 'a');
  if (typeof b === 'number') return scalarOp(a, 1, -checkNumber(b, 'b'), 'sub');
  return binaryOp('sub', a, operand(b, 'b'));
}

export function mul(a: Tensor, b: Tensor | number): Tensor {
  operand(a, 'a');
  if (typeof b === 'number') return scalarOp(a, checkNumber(b, 'b'), 0, 'mul');
  return binaryOp('mul', a, operand(b, 'b'));
}

export function div(a: Tensor, b: Tensor | number): Tensor {
  operand(a, 'a');
  if (typeof b === 'number') {
    checkNumber(b, 'b');
    if (b === 0) throw new RangeError('div: b must not be 0');
    return scalarOp(a, 1 / b, 0, 'div');
  }
  return binaryOp('div', a, operand(b, 'b'));
}

export function neg(a: Tensor): Tensor {
  return scalarOp(operand(a, 'x'), -1, 0, 'neg');
}
