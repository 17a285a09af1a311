/** Small helpers shared by the ops: 2-D views of N-D tensors and broadcasting. */
import type { Backend, View } from '../backends/backend.js';
import { Tensor, fromStorage } from '../tensor.js';
import { checkSameBackend, checkTensor, fmtShape } from '../kernels/validate.js';

/** [rows, cols] of a tensor seen as a matrix over its last dimension. */
export function as2d(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  const cols = shape[shape.length - 1];
  return [cols === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / cols, cols];
}

/** How an operand is read against a [rows, cols] result. */
export type Broadcast = 'full' | 'row' | 'col' | 'scalar';

export function view(t: Tensor, kind: Broadcast, cols: number): View {
  switch (kind) {
    case 'full':
      return { storage: t.storage, rowStride: cols, colStride: 1 };
    case 'row':
      return { storage: t.storage, rowStride: 0, colStride: 1 };
    case 'col':
      return { storage: t.storage, rowStride: 1, colStride: 0 };
    case 'scalar':
      return { storage: t.storage, rowStride: 0, colStride: 0 };
  }
}

/** How `x` broadcasts against an output of shape `out`, or null if it does not. */
export function broadcastKind(x: readonly number[], out: readonly number[]): Broadcast | null {
  const size = x.reduce((a, b) => a * b, 1);
  if (x.length === out.length && x.every((d, i) => d === out[i])) return 'full';
  if (size === 1) return 'scalar';
  const [rows, cols] = as2d(out);
  if (x[x.length - 1] === cols && size === cols && rows > 1) return 'row';
  if (x.length === out.length && x[x.length - 1] === 1 && x.slice(0, -1).every((d, i) => d === out[i])) return 'col';
  return null;
}

/** Output shape and broadcast kinds of a binary op, or a RangeError naming both shapes. */
export function broadcastShapes(a: Tensor, b: Tensor, op: string): { shape: readonly number[]; ka: Broadcast; kb: Broadcast } {
  checkSameBackend([a, b], ['a', 'b']);
  const shape = a.size >= b.size ? a.shape : b.shape;
  const ka = broadcastKind(a.shape, shape);
  const kb = broadcastKind(b.shape, shape);
  if (!ka || !kb) {
    throw new RangeError(
      `${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not broadcast ` +
        '(supported: equal shapes, a scalar, a row vector [cols] or a column [rows, 1])',
    );
  }
  return { shape, ka, kb };
}

/** Sum a full-size gradient down to an operand that was broadcast as `kind`. */
export function reduceTo(g: Tensor, kind: Broadcast, target: readonly number[]): Tensor {
  if (kind === 'full') return g;
  const [rows, cols] = as2d(g.shape);
  const axis = kind === 'row' ? 'rows' : kind === 'col' ? 'cols' : 'all';
  return fromStorage(g.backend, g.backend.sum(g.storage, rows, cols, axis, 1), target);
}

/** A [rows, cols] tensor holding a broadcast operand (scalar, row or column) expanded. */
export function expand(g: Tensor, kind: Broadcast, shape: readonly number[]): Tensor {
  if (kind === 'full') return g;
  const b: Backend = g.backend;
  const [rows, cols] = as2d(shape);
  const zero = b.zeros(1, 'float32');
  const out = b.binary('add', view(g, kind, cols), { storage: zero, rowStride: 0, colStride: 0 }, rows, cols);
  b.dispose(zero);
  return fromStorage(b, out, shape);
}

export function f32Tensor(x: unknown, name: string): Tensor {
  return checkTensor(x, name, { dtype: 'float32' });
}
