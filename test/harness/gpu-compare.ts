/**
 * Helpers of the webgpu specs: seeded inputs, and a comparison of every output storage of one
 * backend call on two backends (the cpu backend being the definition of correct).
 */
import { expect } from 'vitest';
import type { Backend, Storage } from '../../src/backends/backend.js';

let seed = 12345;
export function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
export function randn(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}
export function labelsFor(rows: number, cols: number, ignore = -100): Int32Array {
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = i % 4 === 3 ? ignore : Math.floor(rand() * cols);
  return y;
}
/** Teacher logits with -Infinity entries; row 1 fully masked when rows > 2. */
export function masked(t: Float32Array, rows: number, cols: number, fullRow = true): Float32Array {
  const out = t.slice();
  for (let i = 0; i < out.length; i += 7) out[i] = -Infinity;
  if (fullRow && rows > 2 && cols > 1) out.fill(-Infinity, cols, 2 * cols);
  return out;
}
/** Logits of +-1e4 in a few places. */
export function extreme(x: Float32Array): Float32Array {
  const out = x.slice();
  for (let i = 0; i < out.length; i += 5) out[i] = i % 2 ? 1e4 : -1e4;
  return out;
}

export type Out = Storage | undefined | null | Out[] | { [k: string]: Out };
export type Arrays = Record<string, Float32Array | Int32Array>;

/** Every storage in a result, read back, keyed by its path ('rowLoss', 'gradTeachers[1]', ...). */
export async function flatten(b: Backend, o: Out, key = '', acc: Arrays = {}): Promise<Arrays> {
  if (o === undefined || o === null) return acc;
  if (Array.isArray(o)) { for (let i = 0; i < o.length; i++) await flatten(b, o[i], `${key}[${i}]`, acc); return acc; }
  if ('dtype' in o && 'size' in o) { acc[key] = await b.read(o as Storage); return acc; }
  for (const [k, v] of Object.entries(o)) await flatten(b, v as Out, key ? `${key}.${k}` : k, acc);
  return acc;
}

export interface Tol { rtol: number; atolRel: number }
export const TOL: Tol = { rtol: 2e-3, atolRel: 2e-4 };

/** Elementwise closeness; non-finite values must match exactly (any NaN matches any NaN). */
export function compare(name: string, got: Float32Array | Int32Array, want: Float32Array | Int32Array, tol: Tol): void {
  expect(got.length, `${name}: length`).toBe(want.length);
  let maxAbs = 0;
  for (const v of want) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
  const atol = tol.atolRel * maxAbs + 1e-6;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      if (!Object.is(w, g) && !(Number.isNaN(w) && Number.isNaN(g))) {
        throw new Error(`${name}[${i}]: got ${g}, want ${w}`);
      }
      continue;
    }
    if (Math.abs(g - w) > atol + tol.rtol * Math.abs(w)) {
      throw new Error(`${name}[${i}] of ${want.length}: got ${g}, want ${w} (atol ${atol.toExponential(2)})`);
    }
  }
}

/** Runs `fn` on `ref` and on `test` with the same inputs and compares every output storage. */
export async function same(
  ref: Backend, test: Backend, fn: (b: Backend, up: (a: Float32Array | Int32Array) => Storage) => Out, tol: Tol = TOL,
): Promise<void> {
  const want = await flatten(ref, fn(ref, (a) => ref.upload(a)));
  const got = await flatten(test, fn(test, (a) => test.upload(a)));
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) compare(k || 'out', got[k], want[k], tol);
}
