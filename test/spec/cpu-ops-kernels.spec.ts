/**
 * Hand-checkable cases for the `cpu` backend's training-op kernels: matmul, elementwise, sum,
 * softmax, transpose, dropout, conv2d, maxPool2d and the optimiser steps. The kernel files are
 * imported directly (not through the backend registry) so this spec pins down the reference
 * definitions themselves; the cross-backend specs compare the other backends against them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AdamParams, ConvShape, PoolShape, SgdParams, Storage, View } from '../../src/backends/backend.js';
import { f32, i32, wrap } from '../../src/backends/cpu/storage.js';
import { matmul } from '../../src/backends/cpu/matmul.js';
import { affine, binary, unary } from '../../src/backends/cpu/elementwise.js';
import { sum } from '../../src/backends/cpu/reduce.js';
import { softmax, softmaxBackward } from '../../src/backends/cpu/softmax.js';
import { transpose } from '../../src/backends/cpu/transpose.js';
import { dropout } from '../../src/backends/cpu/dropout.js';
import { conv2d, conv2dBackward } from '../../src/backends/cpu/conv2d.js';
import { maxPool2d, maxPool2dBackward } from '../../src/backends/cpu/maxpool2d.js';
import { adamStep, addInPlace, sgdStep } from '../../src/backends/cpu/optim.js';
import { hashUniform } from '../../src/kernels/rng.js';

// ---- helpers -----------------------------------------------------------------------------

const st = (xs: ArrayLike<number>): Storage => wrap(Float32Array.from(xs));
const arr = (s: Storage): number[] => Array.from(f32(s));

/** Deterministic values on a 1/64 grid in [-1, 1]: x ± 1/64 stays exact in float32. */
function grid(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = ((state >>> 16) % 129 - 64) / 64;
  }
  return out;
}

/** |actual - expected| <= atol + rtol * |expected|, elementwise, with the index in the message. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-6, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]);
    if (!ok) expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Central finite differences of a scalar function of a float32 array, in float64. */
function numericGrad(f: (x: Float32Array) => number, x: Float32Array, h = 1 / 64): number[] {
  const grad: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const up = f(x);
    x[i] = x0 - h;
    const down = f(x);
    x[i] = x0;
    grad.push((up - down) / (2 * h));
  }
  return grad;
}

/** sum_i y_i * r_i in float64: a scalar "loss" whose gradient w.r.t. y is r. */
const dot = (y: ArrayLike<number>, r: ArrayLike<number>): number => {
  let acc = 0;
  for (let i = 0; i < y.length; i++) acc += y[i] * r[i];
  return acc;
};

// ---- matmul --------------------------------------------------------------------------------

describe('cpu matmul', () => {
  /** Naive C = A B on logical (untransposed) row-major A [m, k], B [k, n]. */
  function naive(A: Float32Array, B: Float32Array, m: number, k: number, n: number): number[] {
    const C: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += A[i * k + p] * B[p * n + j];
        C.push(Math.fround(acc));
      }
    }
    return C;
  }
  const storedT = (X: Float32Array, rows: number, cols: number): Storage => transpose(wrap(X), rows, cols);

  it('2x3 times 3x2 by hand', () => {
    const c = matmul(st([1, 2, 3, 4, 5, 6]), st([7, 8, 9, 10, 11, 12]), 2, 3, 2, false, false);
    expect(arr(c)).toEqual([58, 64, 139, 154]);
  });

  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`matches a naive triple loop, transA=${transA} transB=${transB}`, () => {
        const [m, k, n] = [5, 7, 3];
        const A = grid(m * k, 1);
        const B = grid(k * n, 2);
        const a = transA ? storedT(A, m, k) : wrap(A); // transA: A stored [k, m]
        const b = transB ? storedT(B, k, n) : wrap(B); // transB: B stored [n, k]
        expectClose(arr(matmul(a, b, m, k, n, transA, transB)), naive(A, B, m, k, n), 0, 0);
      });
    }
  }

  it('accumulates in float64', () => {
    const c = matmul(st([1e8, 1, -1e8]), st([1, 1, 1]), 1, 3, 1, false, false);
    expect(arr(c)).toEqual([1]);
  });
});

// ---- elementwise ---------------------------------------------------------------------------

describe('cpu elementwise', () => {
  const A: View = { storage: st([1, -2, 3, 4, 0, -6]), rowStride: 3, colStride: 1 }; // [2, 3]
  const full = (xs: number[]): View => ({ storage: st(xs), rowStride: 3, colStride: 1 });

  it('binary ops on full [2, 3] operands', () => {
    const B = full([2, 2, -1, 8, 5, -3]);
    expect(arr(binary('add', A, B, 2, 3))).toEqual([3, 0, 2, 12, 5, -9]);
    expect(arr(binary('sub', A, B, 2, 3))).toEqual([-1, -4, 4, -4, -5, -3]);
    expect(arr(binary('mul', A, B, 2, 3))).toEqual([2, -4, -3, 32, 0, 18]);
    expect(arr(binary('div', A, B, 2, 3))).toEqual([0.5, -1, -3, 0.5, 0, 2]);
    expect(arr(binary('max', A, B, 2, 3))).toEqual([2, 2, 3, 8, 5, -3]);
    expect(arr(binary('min', A, B, 2, 3))).toEqual([1, -2, -1, 4, 0, -6]);
  });

  it('reluGrad passes g where the relu input is > 0', () => {
    const g = full([10, 20, 30, 40, 50, 60]);
    expect(arr(binary('reluGrad', g, A, 2, 3))).toEqual([10, 0, 30, 40, 0, 0]);
  });

  it('broadcasts a row vector, a column vector and a scalar through strides', () => {
    const row: View = { storage: st([10, 20, 30]), rowStride: 0, colStride: 1 };
    const col: View = { storage: st([100, 200]), rowStride: 1, colStride: 0 };
    const scalar: View = { storage: st([2]), rowStride: 0, colStride: 0 };
    expect(arr(binary('add', A, row, 2, 3))).toEqual([11, 18, 33, 14, 20, 24]);
    expect(arr(binary('sub', col, A, 2, 3))).toEqual([99, 102, 97, 196, 200, 206]);
    expect(arr(binary('mul', A, scalar, 2, 3))).toEqual([2, -4, 6, 8, 0, -12]);
  });

  it('reads a transposed operand through strides', () => {
    // B stored [3, 2] = [[1, 2], [3, 4], [5, 6]]; its transpose read as [2, 3]: rowStride 1, colStride 2.
    const Bt: View = { storage: st([1, 2, 3, 4, 5, 6]), rowStride: 1, colStride: 2 };
    expect(arr(binary('add', A, Bt, 2, 3))).toEqual([2, 1, 8, 6, 4, 0]);
  });

  it('max and min propagate NaN', () => {
    const x = full([NaN, 1, 2, 3, 4, 5]);
    const y = full([0, NaN, 2, 3, 4, 5]);
    expect(arr(binary('max', x, y, 2, 3)).slice(0, 2)).toEqual([NaN, NaN]);
    expect(arr(binary('min', x, y, 2, 3)).slice(0, 2)).toEqual([NaN, NaN]);
  });

  it('unary ops', () => {
    const x = st([-2, -0.5, 0, 0.25, 4]);
    expect(arr(unary('relu', x, 5))).toEqual([0, 0, 0, 0.25, 4]);
    expect(arr(unary('neg', x, 5))).toEqual([2, 0.5, -0, -0.25, -4]);
    expect(arr(unary('square', x, 5))).toEqual([4, 0.25, 0, 0.0625, 16]);
    expect(arr(unary('abs', x, 5))).toEqual([2, 0.5, 0, 0.25, 4]);
    expect(arr(unary('sqrt', st([0, 0.25, 4, 9]), 4))).toEqual([0, 0.5, 2, 3]);
    expect(arr(unary('sqrt', st([-1]), 1))).toEqual([NaN]);
    expectClose(arr(unary('exp', st([0, 1, -1]), 3)), [1, Math.E, 1 / Math.E].map(Math.fround), 0, 0);
    expect(arr(unary('exp', st([-Infinity]), 1))).toEqual([0]);
    expectClose(arr(unary('log', st([1, Math.E, 0.5]), 3)), [0, 1, Math.log(0.5)], 1e-7, 0);
    expect(arr(unary('log', st([0]), 1))).toEqual([-Infinity]);
    expect(arr(unary('relu', st([NaN]), 1))).toEqual([NaN]);
  });

  it('affine computes alpha * x + beta', () => {
    expect(arr(affine(st([1, -2, 0.5]), 3, 2, -1))).toEqual([1, -5, 0]);
    expect(arr(affine(st([3]), 1, 0, 7))).toEqual([7]);
  });

  it('only the first `size` elements are touched', () => {
    expect(arr(unary('neg', st([1, 2, 3]), 2))).toEqual([-1, -2]);
  });
});

// ---- sum -----------------------------------------------------------------------------------

describe('cpu sum', () => {
  const x = st([1, 2, 3, 4, 5, 6]); // [2, 3]
  it('over rows, over cols and over all, times scale', () => {
    expect(arr(sum(x, 2, 3, 'rows', 1))).toEqual([5, 7, 9]);
    expect(arr(sum(x, 2, 3, 'cols', 1))).toEqual([6, 15]);
    expect(arr(sum(x, 2, 3, 'all', 1))).toEqual([21]);
    expect(arr(sum(x, 2, 3, 'rows', 0.5))).toEqual([2.5, 3.5, 4.5]);
    expect(arr(sum(x, 2, 3, 'all', 1 / 6))).toEqual([3.5]);
  });
  it('accumulates in float64', () => {
    expect(arr(sum(st([1e8, 1, -1e8]), 1, 3, 'all', 1))).toEqual([1]);
    expect(arr(sum(st([1e8, 1, -1e8]), 3, 1, 'rows', 1))).toEqual([1]);
  });
});

// ---- softmax -------------------------------------------------------------------------------

describe('cpu softmax', () => {
  it('softmax and logSoftmax of a row by hand', () => {
    // Row [0, ln 2, ln 5]: exp = [1, 2, 5], probabilities [1/8, 2/8, 5/8].
    const x = st([0, Math.log(2), Math.log(5), 1, 1, 1]);
    expectClose(arr(softmax(x, 2, 3, false)), [1 / 8, 2 / 8, 5 / 8, 1 / 3, 1 / 3, 1 / 3], 1e-6, 0);
    expectClose(arr(softmax(x, 2, 3, true)), [1 / 8, 2 / 8, 5 / 8, 1 / 3, 1 / 3, 1 / 3].map(Math.log), 1e-6, 0);
  });

  it('subtracts the row max: large logits do not overflow, -Infinity gives probability 0', () => {
    const x = st([1000, 1000, -Infinity]);
    expect(arr(softmax(x, 1, 3, false))).toEqual([0.5, 0.5, 0]);
    expectClose(arr(softmax(x, 1, 3, true)).slice(0, 2), [Math.log(0.5), Math.log(0.5)], 1e-7, 0);
    expect(arr(softmax(x, 1, 3, true))[2]).toBe(-Infinity);
  });

  for (const log of [false, true]) {
    it(`${log ? 'logSoftmax' : 'softmax'} backward matches finite differences`, () => {
      const [rows, cols] = [3, 4];
      const x = grid(rows * cols, 7);
      const r = grid(rows * cols, 8); // upstream gradient
      const y = softmax(wrap(x), rows, cols, log);
      const dx = arr(softmaxBackward(y, wrap(r), rows, cols, log));
      const fd = numericGrad((xx) => dot(f32(softmax(wrap(xx), rows, cols, log)), r), x, 1e-2);
      expectClose(dx, fd, 1e-2, 1e-3);
    });
  }

  it('softmax backward by hand', () => {
    // y = [0.25, 0.75], g = [1, 0]: <g, y> = 0.25, dx = [0.25 * 0.75, 0.75 * -0.25].
    expectClose(arr(softmaxBackward(st([0.25, 0.75]), st([1, 0]), 1, 2, false)), [0.1875, -0.1875], 0, 0);
    // logSoftmax: y = log([0.25, 0.75]), g = [1, 1]: dx = g - p * 2 = [0.5, -0.5].
    expectClose(arr(softmaxBackward(st([Math.log(0.25), Math.log(0.75)]), st([1, 1]), 1, 2, true)), [0.5, -0.5], 1e-6, 1e-7);
  });
});

// ---- transpose -----------------------------------------------------------------------------

describe('cpu transpose', () => {
  it('[2, 3] -> [3, 2]', () => {
    expect(arr(transpose(st([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('twice is the identity', () => {
    const x = grid(20, 3);
    expect(arr(transpose(transpose(wrap(x), 4, 5), 5, 4))).toEqual(Array.from(x));
  });
});

// ---- dropout -------------------------------------------------------------------------------

describe('cpu dropout', () => {
  const size = 4000;
  const x = grid(size, 11);

  it('p = 0 keeps everything unscaled; p = 1 drops everything', () => {
    const keep = dropout(wrap(x), size, 0, 42);
    expect(arr(keep.mask).every((m) => m === 1)).toBe(true);
    expect(arr(keep.y)).toEqual(Array.from(x));
    const drop = dropout(wrap(x), size, 1, 42);
    expect(arr(drop.mask).every((m) => m === 0)).toBe(true);
    expect(arr(drop.y).every((v) => v === 0)).toBe(true);
  });

  it('keeps exactly where hashUniform(seed, i) >= p, scaled by 1/(1-p)', () => {
    const p = 0.3;
    const { y, mask } = dropout(wrap(x), size, p, 1234);
    const M = f32(mask);
    const Y = f32(y);
    const scale = Math.fround(1 / (1 - p));
    let kept = 0;
    for (let i = 0; i < size; i++) {
      const keep = hashUniform(1234, i) >= p;
      expect(M[i]).toBe(keep ? scale : 0);
      expect(Y[i]).toBe(Math.fround(x[i] * M[i]));
      if (keep) kept++;
    }
    // About 70% kept (binomial sd ~ 29 over 4000).
    expect(Math.abs(kept / size - 0.7)).toBeLessThan(0.03);
  });

  it('same seed, same mask; another seed, another mask', () => {
    const a = arr(dropout(wrap(x), size, 0.5, 7).mask);
    expect(arr(dropout(wrap(x), size, 0.5, 7).mask)).toEqual(a);
    expect(arr(dropout(wrap(x), size, 0.5, 8).mask)).not.toEqual(a);
  });
});

// ---- conv2d --------------------------------------------------------------------------------

describe('cpu conv2d', () => {
  function shape(n: number, cIn: number, h: number, w: number, cOut: number, k: number,
    stride: number, padding: number, groups: number): ConvShape {
    const hOut = Math.floor((h + 2 * padding - k) / stride) + 1;
    const wOut = Math.floor((w + 2 * padding - k) / stride) + 1;
    return { n, cIn, h, w, cOut, kh: k, kw: k, stride, padding, groups, hOut, wOut };
  }

  it('3x3 input, 2x2 ones kernel, by hand', () => {
    const x = st([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = st([1, 1, 1, 1]);
    expect(arr(conv2d(x, w, null, shape(1, 1, 3, 3, 1, 2, 1, 0, 1)))).toEqual([12, 16, 24, 28]);
    // Padding 1, stride 2: windows start at (-1, -1), (-1, 1), (1, -1), (1, 1); bias 0.5.
    expect(arr(conv2d(x, w, st([0.5]), shape(1, 1, 3, 3, 1, 2, 2, 1, 1)))).toEqual([1.5, 5.5, 11.5, 28.5]);
  });

  it('non-square kernel and input, by hand', () => {
    // x [1, 1, 2, 3] = [[1, 2, 3], [4, 5, 6]], w [1, 1, 1, 2] = [[1, -1]]: y = x[:, j] - x[:, j + 1].
    const s: ConvShape = { n: 1, cIn: 1, h: 2, w: 3, cOut: 1, kh: 1, kw: 2, stride: 1, padding: 0, groups: 1, hOut: 2, wOut: 2 };
    expect(arr(conv2d(st([1, 2, 3, 4, 5, 6]), st([1, -1]), null, s))).toEqual([-1, -1, -1, -1]);
  });

  it('groups = 2 equals two independent convolutions on the channel halves', () => {
    const s = shape(2, 4, 5, 5, 6, 3, 1, 1, 2);
    const x = grid(2 * 4 * 25, 21);
    const w = grid(6 * 2 * 9, 22);
    const y = f32(conv2d(wrap(x), wrap(w), null, s));
    const half = shape(1, 2, 5, 5, 3, 3, 1, 1, 1);
    const plane = 25;
    for (let n = 0; n < 2; n++) {
      for (let grp = 0; grp < 2; grp++) {
        const xs = x.slice((n * 4 + grp * 2) * plane, (n * 4 + grp * 2 + 2) * plane);
        const ws = w.slice(grp * 3 * 2 * 9, (grp + 1) * 3 * 2 * 9);
        const ys = arr(conv2d(wrap(xs), wrap(ws), null, half));
        const start = (n * 6 + grp * 3) * plane;
        expect(Array.from(y.slice(start, start + 3 * plane))).toEqual(ys);
      }
    }
  });

  it('depthwise (groups = cIn = cOut) filters each channel with its own kernel', () => {
    const s = shape(1, 2, 2, 2, 2, 1, 1, 0, 2); // 1x1 kernels: y[c] = w[c] * x[c]
    expect(arr(conv2d(st([1, 2, 3, 4, 5, 6, 7, 8]), st([2, -1]), st([0, 10]), s))).toEqual([2, 4, 6, 8, 5, 4, 3, 2]);
  });

  const cases: [string, ConvShape][] = [
    ['groups 1, stride 1, padding 0', shape(2, 2, 4, 4, 3, 3, 1, 0, 1)],
    ['groups 1, stride 2, padding 1', shape(2, 3, 5, 5, 2, 3, 2, 1, 1)],
    ['groups 2, stride 1, padding 1', shape(1, 4, 4, 5, 4, 3, 1, 1, 2)],
    ['depthwise, stride 2, padding 1', shape(2, 3, 5, 4, 3, 3, 2, 1, 3)],
    ['stride 3 > kernel 2 (skipped inputs)', shape(1, 2, 7, 7, 2, 2, 3, 0, 1)],
  ];
  for (const [name, s] of cases) {
    it(`backward matches finite differences: ${name}`, () => {
      const x = grid(s.n * s.cIn * s.h * s.w, 31);
      const w = grid(s.cOut * (s.cIn / s.groups) * s.kh * s.kw, 32);
      const bias = grid(s.cOut, 33);
      const r = grid(s.n * s.cOut * s.hOut * s.wOut, 34); // upstream gradient
      const loss = (xx: Float32Array, ww: Float32Array, bb: Float32Array): number =>
        dot(f32(conv2d(wrap(xx), wrap(ww), wrap(bb), s)), r);
      const { dx, dw, dbias } = conv2dBackward(wrap(r), wrap(x), wrap(w), s, { x: true, w: true, bias: true });
      expectClose(arr(dx!), numericGrad((xx) => loss(xx, w, bias), x), 1e-2, 1e-3);
      expectClose(arr(dw!), numericGrad((ww) => loss(x, ww, bias), w), 1e-2, 1e-3);
      expectClose(arr(dbias!), numericGrad((bb) => loss(x, w, bb), bias), 1e-2, 1e-3);
    });
  }

  it('backward returns only what is asked for', () => {
    const s = shape(1, 1, 3, 3, 1, 2, 1, 0, 1);
    const out = conv2dBackward(st([1, 1, 1, 1]), st([1, 2, 3, 4, 5, 6, 7, 8, 9]), st([1, 0, 0, 0]), s,
      { x: false, w: true, bias: false });
    expect(out.dx).toBeUndefined();
    expect(out.dbias).toBeUndefined();
    expect(arr(out.dw!)).toEqual([12, 16, 24, 28]);
  });
});

// ---- maxPool2d -----------------------------------------------------------------------------

describe('cpu maxPool2d', () => {
  const pool = (n: number, c: number, h: number, w: number, kernel: number, stride: number): PoolShape => ({
    n, c, h, w, kernel, stride,
    hOut: Math.floor((h - kernel) / stride) + 1,
    wOut: Math.floor((w - kernel) / stride) + 1,
  });

  it('2x2 stride 2 on a 4x4 plane, by hand, with flat argmax', () => {
    const x = st([
      1, 5, 2, 0,
      3, 4, 8, 1,
      0, 0, -1, -2,
      9, 0, -3, -1,
    ]);
    const { y, argmax } = maxPool2d(x, pool(1, 1, 4, 4, 2, 2));
    expect(arr(y)).toEqual([5, 8, 9, -1]);
    expect(Array.from(i32(argmax))).toEqual([1, 6, 12, 10]);
  });

  it('argmax indexes the whole input across batch and channels; first max wins on ties', () => {
    // n = 2, c = 1, 2x2 planes, one 2x2 window each; plane 1 is all equal -> its first element.
    const { y, argmax } = maxPool2d(st([1, 3, 3, 2, 7, 7, 7, 7]), pool(2, 1, 2, 2, 2, 2));
    expect(arr(y)).toEqual([3, 7]);
    expect(Array.from(i32(argmax))).toEqual([1, 4]);
  });

  it('an all -Infinity window points inside the window; NaN propagates', () => {
    const a = maxPool2d(st([-Infinity, -Infinity, -Infinity, -Infinity]), pool(1, 1, 2, 2, 2, 2));
    expect(arr(a.y)).toEqual([-Infinity]);
    expect(Array.from(i32(a.argmax))).toEqual([0]);
    const b = maxPool2d(st([1, NaN, 5, 2]), pool(1, 1, 2, 2, 2, 2));
    expect(arr(b.y)).toEqual([NaN]);
    expect(Array.from(i32(b.argmax))).toEqual([1]);
  });

  it('backward routes each gradient to its argmax and sums overlapping windows', () => {
    // 3x3 kernel, stride 1 on 4x4: 4 windows, all containing the global max at (1, 2) -> index 6.
    const x = st([0, 1, 2, 3, 4, 5, 99, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const s = pool(1, 1, 4, 4, 3, 1);
    const { y, argmax } = maxPool2d(x, s);
    expect(arr(y)).toEqual([99, 99, 99, 99]);
    const dx = arr(maxPool2dBackward(st([1, 2, 3, 4]), argmax, s));
    expect(dx).toEqual([0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('backward equals a scatter-add of g at argmax (overlap, stride 2 kernel 3, batch and channels)', () => {
    const s = pool(2, 3, 7, 6, 3, 2);
    const x = grid(2 * 3 * 7 * 6, 41);
    const { argmax } = maxPool2d(wrap(x), s);
    const g = grid(2 * 3 * s.hOut * s.wOut, 42);
    const expected = new Float64Array(x.length);
    const A = i32(argmax);
    for (let o = 0; o < A.length; o++) expected[A[o]] += g[o];
    expectClose(arr(maxPool2dBackward(wrap(g), argmax, s)), Array.from(expected, Math.fround), 0, 0);
  });
});

// ---- optimisers ----------------------------------------------------------------------------

interface OptimCase {
  name: string;
  kind: 'sgd' | 'adam' | 'adamw';
  hyper: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weight_decay?: number; betas?: [number, number]; eps?: number };
  steps: { param: number[]; momentumBuf?: number[]; m?: number[]; v?: number[] }[];
}
/** Produced by test/fixtures/gen_optim.py (torch.optim, foreach=False) -> test/fixtures/optim.json. */
const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as {
  param0: number[]; grads: number[][]; cases: OptimCase[];
};

describe('cpu optimiser steps', () => {
  it('addInPlace accumulates', () => {
    const dst = st([1, 2, 3]);
    addInPlace(dst, st([0.5, -2, 10]), 3);
    expect(arr(dst)).toEqual([1.5, 0, 13]);
  });

  it('SGD with momentum by hand: first step initialises the buffer to the gradient', () => {
    // p = 1, g = 1 twice, lr 0.1, momentum 0.9: buf 1 then 1.9; p 0.9 then 0.71.
    const param = st([1]);
    const buf = st([0]);
    const base: SgdParams = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, hasMomentumBuffer: false };
    sgdStep(param, st([1]), buf, 1, base);
    expectClose(arr(param), [0.9]);
    expectClose(arr(buf), [1]);
    sgdStep(param, st([1]), buf, 1, { ...base, hasMomentumBuffer: true });
    expectClose(arr(param), [0.71]);
    expectClose(arr(buf), [1.9]);
  });

  it('Adam first step moves each parameter by about lr * sign(g)', () => {
    const param = st([1, 1, 1]);
    const p: AdamParams = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
    adamStep(param, st([3, -0.5, 0]), st([0, 0, 0]), st([0, 0, 0]), 3, p);
    expectClose(arr(param), [0.99, 1.01, 1], 1e-6);
  });

  for (const c of fixture.cases) {
    it(`matches torch.optim over 3 steps: ${c.name}`, () => {
      const n = fixture.param0.length;
      const param = st(fixture.param0);
      const m = st(new Array(n).fill(0));
      const v = st(new Array(n).fill(0));
      const h = c.hyper;
      const momentum = h.momentum ?? 0;
      c.steps.forEach((expected, t) => {
        const grad = st(fixture.grads[t]);
        if (c.kind === 'sgd') {
          sgdStep(param, grad, momentum !== 0 ? m : null, n, {
            lr: h.lr, momentum, dampening: h.dampening ?? 0, nesterov: h.nesterov ?? false,
            weightDecay: h.weight_decay ?? 0, hasMomentumBuffer: t > 0,
          });
          if (expected.momentumBuf) expectClose(arr(m), expected.momentumBuf, 1e-6, 1e-7);
        } else {
          const [beta1, beta2] = h.betas ?? [0.9, 0.999];
          adamStep(param, grad, m, v, n, {
            lr: h.lr, beta1, beta2, eps: h.eps ?? 1e-8,
            weightDecay: h.weight_decay ?? (c.kind === 'adamw' ? 0.01 : 0), decoupled: c.kind === 'adamw', step: t + 1,
          });
          expectClose(arr(m), expected.m!, 1e-6, 1e-7);
          expectClose(arr(v), expected.v!, 1e-6, 1e-9);
        }
        expectClose(arr(param), expected.param, 1e-6, 1e-7);
      });
    });
  }
});
