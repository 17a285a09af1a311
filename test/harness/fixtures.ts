/**
 * PyTorch golden fixtures (test/fixtures/*.json, written by test/fixtures/gen_fixtures.py; the
 * schema is at the top of that script) and the comparisons every spec uses.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { uniformInputs } from './inputs.js';

export type Num = number | 'Infinity' | '-Infinity' | 'NaN';
export interface Recipe { seed: number; n: number; lo: number; hi: number; masked?: number[]; set?: [number, Num][] }
export type Grad =
  | { full: Num[] }
  | { n: number; sampleIdx: number[]; sampleVals: Num[]; sum: Num; absSum: Num; dotWithProbe: Num };
export interface Case {
  name: string;
  kernel: string;
  /** nonfinite.json: the case class (nan-student, masked-teacher, ...). */
  class?: string;
  shape: Record<string, number>;
  inputs: Record<string, any>;
  options: Record<string, any>;
  loss: Num | Num[];
  parts?: { soft: Num; hard: Num };
  grads: Record<string, any>;
}

/** Relative tolerance and absolute tolerance relative to the largest |expected| value. */
export interface Tolerance {
  rtol: number;
  atolRel: number;
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function loadFixtures(file: string): Case[] {
  return (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { cases: Case[] }).cases;
}

/** Regenerates a float32 input from its recipe; masked indices become -Infinity, then `set` is applied. */
export function materialise(r: Recipe): Float32Array {
  const x = uniformInputs(r.seed, r.n, r.lo, r.hi);
  for (const i of r.masked ?? []) x[i] = -Infinity;
  for (const [i, v] of r.set ?? []) x[i] = Number(v);
  return x;
}

export const num = (v: Num): number => Number(v);

export function expectClose(actual: number, expected: number, what: string, tol: Tolerance, atol = 1e-7): void {
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const err = Math.abs(actual - expected);
  expect(err <= tol.rtol * Math.abs(expected) + atol, `${what}: got ${actual}, expected ${expected}`).toBe(true);
}

/** atolFloor: an absolute tolerance added to the one relative to the largest |expected|. */
export function expectArrayClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol: Tolerance, atolFloor = 1e-12,
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  const atol = tol.atolRel * maxAbs + atolFloor;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (Number.isNaN(e)) {
      if (!Number.isNaN(actual[i])) expect.fail(`${what}[${i}]: got ${actual[i]}, expected NaN`);
      continue;
    }
    if (Number.isNaN(actual[i])) expect.fail(`${what}[${i}] is NaN (expected ${e})`);
    const ok = Number.isFinite(e) ? Math.abs(actual[i] - e) <= tol.rtol * Math.abs(e) + atol : actual[i] === e;
    if (!ok) expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${e} (rtol ${tol.rtol}, atol ${atol.toExponential(2)})`);
  }
}

/** Compare a gradient with a fixture gradient (full, or samples + sum/absSum/probe for large ones). */
export function expectGrad(actual: Float32Array | null | undefined, g: Grad, what: string, tol: Tolerance): void {
  expect(actual, `${what} returned`).toBeTruthy();
  const a = actual as Float32Array;
  if ('full' in g) {
    expectArrayClose(a, g.full.map(num), what, tol);
    return;
  }
  expect(a.length, `${what} length`).toBe(g.n);
  expectArrayClose(g.sampleIdx.map((i) => a[i]), g.sampleVals.map(num), `${what} samples`, tol);
  const probe = uniformInputs(999, g.n, -1, 1);
  let s = 0;
  let abs = 0;
  let dot = 0;
  for (let i = 0; i < g.n; i++) {
    s += a[i];
    abs += Math.abs(a[i]);
    dot += a[i] * probe[i];
  }
  const absSum = num(g.absSum);
  expectClose(abs, absSum, `${what} absSum`, tol);
  // float32 rounding of each element moves these by at most ~6e-8 * absSum per unit of rtol.
  expectClose(s, num(g.sum), `${what} sum`, tol, 10 * tol.rtol * absSum);
  expectClose(dot, num(g.dotWithProbe), `${what} dotWithProbe`, tol, 10 * tol.rtol * absSum);
}
