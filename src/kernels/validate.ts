/**
 * Argument checks shared by every op and loss. They run in TypeScript before anything crosses into
 * C++ or WGSL, and throw TypeError (wrong kind of thing) or RangeError (right kind, wrong value)
 * with the argument's name and what was expected.
 */
import type { Tensor } from '../tensor.js';
import type { DType } from '../backends/backend.js';

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { __kdTensor?: boolean }).__kdTensor === true;
}

export function checkTensor(x: unknown, name: string, opts: { dtype?: DType; rank?: number } = {}): Tensor {
  if (!isTensor(x)) throw new TypeError(`${name} must be a Tensor, got ${describe(x)}`);
  if (x.isDisposed) throw new TypeError(`${name} has been disposed`);
  if (opts.dtype && x.dtype !== opts.dtype) {
    throw new TypeError(`${name} must have dtype '${opts.dtype}', got '${x.dtype}' (shape ${fmtShape(x.shape)})`);
  }
  if (opts.rank !== undefined && x.shape.length !== opts.rank) {
    throw new RangeError(`${name} must be ${opts.rank}-D, got shape ${fmtShape(x.shape)}`);
  }
  return x;
}

/** A 2-D float32 matrix; returns [rows, cols]. */
export function checkMatrix(x: unknown, name: string): [number, number] {
  const t = checkTensor(x, name, { dtype: 'float32' });
  if (t.shape.length !== 2) throw new RangeError(`${name} must be 2-D [rows, cols], got shape ${fmtShape(t.shape)}`);
  return [t.shape[0], t.shape[1]];
}

/**
 * Logits [..., C] (float32, at least 2-D), reduced over the last dimension: rows = the product of the
 * leading dimensions (tokens), read in place from the tensor's row-major storage (nothing is copied).
 */
export function checkLogits(x: unknown, name: string): { rows: number; cols: number; lead: number[] } {
  const t = checkTensor(x, name, { dtype: 'float32' });
  if (t.shape.length < 2) throw new RangeError(`${name} must be [..., classes] with at least 2 dimensions, got shape ${fmtShape(t.shape)}`);
  const lead = t.shape.slice(0, -1);
  return { rows: lead.reduce((a, b) => a * b, 1), cols: t.shape[t.shape.length - 1], lead };
}

export function checkSameShape(a: Tensor<DType>, aName: string, b: Tensor<DType>, bName: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${bName} must have the shape of ${aName} ${fmtShape(a.shape)}, got ${fmtShape(b.shape)}`);
  }
}

export function checkSameBackend(tensors: readonly Tensor<DType>[], names: readonly string[]): void {
  const first = tensors[0];
  for (let i = 1; i < tensors.length; i++) {
    if (tensors[i].backend !== first.backend) {
      throw new TypeError(
        `${names[i]} lives on backend '${tensors[i].backend.name}' but ${names[0]} on '${first.backend.name}': ` +
          `move one with .to('${first.backend.name}') first`,
      );
    }
  }
}

export function checkNumber(
  v: unknown,
  name: string,
  range: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean } = {},
): number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be finite, got ${v}`);
  if (range.integer && !Number.isInteger(v)) throw new RangeError(`${name} must be an integer, got ${v}`);
  const { min, max } = range;
  if (min !== undefined && (range.minExclusive ? v <= min : v < min)) {
    throw new RangeError(`${name} must be ${range.minExclusive ? '>' : '>='} ${min}, got ${v}`);
  }
  if (max !== undefined && v > max) throw new RangeError(`${name} must be <= ${max}, got ${v}`);
  return v;
}

/** Smallest and largest normal float32: a temperature outside rounds to 0 / Infinity (or its 1/T does). */
const F32_NORMAL_MIN = 1.1754943508222875e-38;
const F32_MAX = 3.4028234663852886e38;

/** A temperature: > 0, and a normal float32 (the kernels use T and 1/T in float32). */
export function checkTemperature(v: unknown, name: string): number {
  const t = checkNumber(v, name, { min: 0, minExclusive: true });
  if (t < F32_NORMAL_MIN || t > F32_MAX) {
    throw new RangeError(`${name} must be a normal float32 in [${F32_NORMAL_MIN}, ${F32_MAX}] (it is 0 or Infinity in float32), got ${t}`);
  }
  return t;
}

/** Multi-teacher weights: K finite numbers >= 0 summing to 1 (within 1e-5); default uniform 1 / K. */
export function checkTeacherWeights(v: unknown, name: string, K: number): number[] {
  if (v === undefined) return new Array<number>(K).fill(1 / K);
  if (!Array.isArray(v) && !(v instanceof Float64Array)) {
    throw new TypeError(`${name} must be an Array of ${K} numbers (one per teacher), got ${describe(v)}`);
  }
  if (v.length !== K) throw new RangeError(`${name} must have ${K} entries (one per teacher), got ${describe(v)}`);
  const w = Array.from(v as ArrayLike<unknown>, (x, k) => checkNumber(x, `${name}[${k}]`, { min: 0 }));
  const total = w.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-5) throw new RangeError(`${name} must sum to 1, got ${total}`);
  return w;
}

export function checkOneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

export function checkOptions(opts: unknown, name: string, known: readonly string[]): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${name} must be an object, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new TypeError(`${name} has an unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/** Labels: int32 of the logits' leading shape (one per row), each in [0, classes) or equal to ignoreIndex. */
export function checkLabels(labels: unknown, name: string, lead: readonly number[], classes: number, ignoreIndex: number): Int32Array {
  const t = checkTensor(labels, name, { dtype: 'int32' });
  if (t.shape.length !== lead.length || t.shape.some((d, i) => d !== lead[i])) {
    throw new RangeError(`${name} must have shape ${fmtShape(lead)} (one label per row), got ${fmtShape(t.shape)}`);
  }
  const y = t.hostInt32();
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v !== ignoreIndex && (v < 0 || v >= classes)) {
      throw new RangeError(`${name}[${i}] = ${v} is outside [0, ${classes}) and is not ignoreIndex (${ignoreIndex})`);
    }
  }
  return y;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  if (typeof v === 'object') return isTensor(v) ? `a Tensor of shape ${fmtShape(v.shape)}` : 'an object';
  return `${typeof v} ${String(v)}`;
}
