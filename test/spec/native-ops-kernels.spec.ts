/**
 * The `native` backend's training-op kernels (src/backends/native/*.ts -> native/binding/ops.cc)
 * against the `cpu` reference kernels (src/backends/cpu/*.ts) on random inputs over odd sizes that
 * hit every SIMD tail and GEMM / conv blocking edge. Dropout masks must be bit-identical. Skipped,
 * with the reason printed, when the addon is not built.
 */
import { describe, expect, it } from 'vitest';
import type { AdamParams, BinaryOp, ConvShape, PoolShape, SgdParams, Storage, UnaryOp, View } from '../../src/backends/backend.js';
import { f32, i32, wrap } from '../../src/backends/cpu/storage.js';
import * as cpuMatmul from '../../src/backends/cpu/matmul.js';
import * as cpuElementwise from '../../src/backends/cpu/elementwise.js';
import * as cpuReduce from '../../src/backends/cpu/reduce.js';
import * as cpuSoftmax from '../../src/backends/cpu/softmax.js';
import * as cpuTranspose from '../../src/backends/cpu/transpose.js';
import * as cpuDropout from '../../src/backends/cpu/dropout.js';
import * as cpuConv from '../../src/backends/cpu/conv2d.js';
import * as cpuPool from '../../src/backends/cpu/maxpool2d.js';
import * as cpuOptim from '../../src/backends/cpu/optim.js';
import { tryLoadAddon, addonLoadError } from '../../src/backends/native/addon.js';

const addon = tryLoadAddon();
const hasOps = addon !== null && typeof addon['matmul'] === 'function';
const skipReason = addon === null
  ? `native addon not built: ${addonLoadError()?.message.split('\n')[0]}`
  : 'native addon has no training ops (built before native/binding/ops.cc)';
if (!hasOps) console.log(`[native-ops-kernels] skipped: ${skipReason}`);

// The native modules import the addon lazily, so importing them is safe without it.
const nativeMatmul = await import('../../src/backends/native/matmul.js');
const nativeElementwise = await import('../../src/backends/native/elementwise.js');
const nativeReduce = await import('../../src/backends/native/reduce.js');
const nativeSoftmax = await import('../../src/backends/native/softmax.js');
const nativeTranspose = await import('../../src/backends/native/transpose.js');
const nativeDropout = await import('../../src/backends/native/dropout.js');
const nativeConv = await import('../../src/backends/native/conv2d.js');
const nativePool = await import('../../src/backends/native/maxpool2d.js');
const nativeOptim = await import('../../src/backends/native/optim.js');

// ---- helpers --------------------------------------------------------------------------------------

let seedState = 0x2545f491;
function rand(size: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    seedState = (Math.imul(seedState, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((seedState >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
const st = (d: Float32Array): Storage => wrap(d);
const abs = (d: Float32Array): Float32Array => d.map(Math.abs);

/**
 * |got - want| <= atol + rtol |want| + magTol * mag (mag: the same computation on |inputs|, the
 * natural scale of a sum's rounding error); NaN and infinities must match exactly.
 */
function expectClose(
  what: string, got: ArrayLike<number>, want: ArrayLike<number>,
  { atol = 1e-6, rtol = 1e-5, mag, magTol = 0 }: { atol?: number; rtol?: number; mag?: ArrayLike<number>; magTol?: number } = {},
): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) {
        throw new Error(`${what}: [${i}] got ${g}, want ${w}`);
      }
      continue;
    }
    const tol = atol + rtol * Math.abs(w) + (mag ? magTol * mag[i] : 0);
    if (!(Math.abs(g - w) <= tol)) throw new Error(`${what}: [${i}] got ${g}, want ${w} (tolerance ${tol})`);
  }
}

function expectExact(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(got[i] === 0 && want[i] === 0)) {
      throw new Error(`${what}: [${i}] got ${got[i]}, want ${want[i]}`);
    }
  }
}

/** Sizes that hit every tail of 4-, 8- and 16-lane vectors and 2x unrolled loops. */
const tails = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 41, 63, 64, 65, 1271];

describe.skipIf(!hasOps)('native training-op kernels vs the cpu reference', () => {
  it('matmul: every transpose combination, shapes off the block sizes', () => {
    const dims = [1, 5, 7, 17, 33, 65, 131];
    for (const m of dims) for (const n of [1, 9, 31, 70]) for (const k of [1, 6, 19, 257, 300]) {
      for (const ta of [false, true]) for (const tb of [false, true]) {
        const a = rand(m * k), b = rand(k * n);
        const want = f32(cpuMatmul.matmul(st(a), st(b), m, k, n, ta, tb));
        const got = f32(nativeMatmul.matmul(st(a), st(b), m, k, n, ta, tb));
        const mag = f32(cpuMatmul.matmul(st(abs(a)), st(abs(b)), m, k, n, ta, tb));
        expectClose(`matmul m${m} k${k} n${n} ta${ta} tb${tb}`, got, want, { atol: 0, rtol: 0, mag, magTol: 4e-6 });
      }
    }
  });

  it('matmul: a large product split over threads equals the reference', () => {
    const m = 301, k = 199, n = 257;
    const a = rand(m * k), b = rand(k * n);
    const want = f32(cpuMatmul.matmul(st(a), st(b), m, k, n, false, true));
    const got = f32(nativeMatmul.matmul(st(a), st(b), m, k, n, false, true));
    const mag = f32(cpuMatmul.matmul(st(abs(a)), st(abs(b)), m, k, n, false, true));
    expectClose('matmul 301x199x257', got, want, { atol: 0, rtol: 0, mag, magTol: 4e-6 });
  });

  it('binary: every op over contiguous, broadcast and strided views', () => {
    const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'reluGrad', 'max', 'min'];
    for (const cols of tails) {
      const rows = cols > 100 ? 3 : 4;
      const a = rand(rows * cols), b = rand(rows * cols);
      if (cols > 3) { a[1] = NaN; b[2] = NaN; }
      const views: [View, View][] = [
        [{ storage: st(a), rowStride: cols, colStride: 1 }, { storage: st(b), rowStride: cols, colStride: 1 }],
        [{ storage: st(a), rowStride: cols, colStride: 1 }, { storage: st(b), rowStride: 0, colStride: 1 }],
        [{ storage: st(a), rowStride: cols, colStride: 1 }, { storage: st(b), rowStride: 1, colStride: 0 }],
        [{ storage: st(a), rowStride: 0, colStride: 0 }, { storage: st(b), rowStride: cols, colStride: 1 }],
        [{ storage: st(a), rowStride: 1, colStride: rows }, { storage: st(b), rowStride: cols, colStride: 1 }],
      ];
      for (const op of ops) {
        views.forEach(([va, vb], vi) => {
          const want = f32(cpuElementwise.binary(op, va, vb, rows, cols));
          const got = f32(nativeElementwise.binary(op, va, vb, rows, cols));
          expectExact(`binary ${op} view ${vi} cols ${cols}`, got, want);
        });
      }
    }
  });

  it('unary (vector exp / log within a few ulp) and affine', () => {
    const ops: UnaryOp[] = ['relu', 'exp', 'log', 'neg', 'square', 'sqrt', 'abs'];
    for (const n of tails) {
      const x = rand(n, -30, 30);
      const specials = [0, -0, Infinity, -Infinity, NaN, 1e-40, 88.5, -100, 1];
      specials.forEach((v, i) => { if (i < n) x[(i * 5) % n] = v; });
      for (const op of ops) {
        const input = op === 'log' || op === 'sqrt' ? (n % 2 ? x.map(Math.abs) : x) : x;
        const want = f32(cpuElementwise.unary(op, st(input), n));
        const got = f32(nativeElementwise.unary(op, st(input), n));
        if (op === 'exp' || op === 'log') expectClose(`unary ${op} n ${n}`, got, want, { atol: 1e-44, rtol: 5e-7 });
        else expectExact(`unary ${op} n ${n}`, got, want);
      }
      expectClose(`affine n ${n}`, f32(nativeElementwise.affine(st(x), n, 1.5, -0.25)),
        f32(cpuElementwise.affine(st(x), n, 1.5, -0.25)), { atol: 1e-6, rtol: 2e-7 });
    }
  });

  it('sum over rows, cols and all, with a scale', () => {
    for (const cols of tails) for (const rows of [1, 3, 70]) {
      const x = rand(rows * cols, -3, 3);
      for (const axis of ['rows', 'cols', 'all'] as const) {
        const want = f32(cpuReduce.sum(st(x), rows, cols, axis, 0.5));
        const got = f32(nativeReduce.sum(st(x), rows, cols, axis, 0.5));
        expectClose(`sum ${axis} ${rows}x${cols}`, got, want, { atol: 2e-6 * Math.sqrt(rows * cols), rtol: 1e-6 });
      }
    }
    const big = rand(300_001);
    expectClose('sum all 300001', f32(nativeReduce.sum(st(big), 1, 300_001, 'all', 1)),
      f32(cpuReduce.sum(st(big), 1, 300_001, 'all', 1)), { atol: 1e-3, rtol: 1e-6 });
  });

  it('softmax / logSoftmax forward and backward, with masked (-Infinity) logits', () => {
    for (const cols of tails) for (const rows of [1, 5]) {
      const x = rand(rows * cols, -8, 8);
      if (cols > 2) x[1] = -Infinity;
      for (const log of [false, true]) {
        const want = f32(cpuSoftmax.softmax(st(x), rows, cols, log));
        const got = f32(nativeSoftmax.softmax(st(x), rows, cols, log));
        expectClose(`softmax log=${log} ${rows}x${cols}`, got, want, { atol: 2e-7, rtol: 2e-6 });
        const y = log ? want.map((v) => (v === -Infinity ? -50 : v)) : want;
        const g = rand(rows * cols);
        expectClose(`softmaxBackward log=${log} ${rows}x${cols}`,
          f32(nativeSoftmax.softmaxBackward(st(y), st(g), rows, cols, log)),
          f32(cpuSoftmax.softmaxBackward(st(y), st(g), rows, cols, log)), { atol: 1e-6 * Math.sqrt(cols), rtol: 2e-6 });
      }
    }
  });

  it('transpose', () => {
    for (const cols of tails) for (const rows of [1, 3, 33, 70]) {
      const x = rand(rows * cols);
      expectExact(`transpose ${rows}x${cols}`, f32(nativeTranspose.transpose(st(x), rows, cols)),
        f32(cpuTranspose.transpose(st(x), rows, cols)));
    }
  });

  it('dropout: bit-identical masks and outputs for every p and seed', () => {
    for (const n of [...tails, 100_003]) for (const p of [0, 1e-9, 0.1, 1 / 3, 0.5, 0.9, 0.99999999, 1]) {
      for (const seed of [0, 1, 42, 2 ** 32 - 1, 123456789, -5, 2 ** 40 + 7]) {
        const x = rand(n);
        const want = cpuDropout.dropout(st(x), n, p, seed);
        const got = nativeDropout.dropout(st(x), n, p, seed);
        expectExact(`dropout mask n ${n} p ${p} seed ${seed}`, f32(got.mask), f32(want.mask));
        expectExact(`dropout y n ${n} p ${p} seed ${seed}`, f32(got.y), f32(want.y));
      }
    }
  });

  it('conv2d forward and backward: padding, stride, groups, depthwise, pointwise', () => {
    // n, cIn, h, w, cOut, kh, kw, stride, padding, groups
    const cases: number[][] = [
      [2, 3, 9, 11, 5, 3, 3, 1, 1, 1], [1, 4, 8, 8, 6, 3, 3, 2, 1, 2], [2, 6, 7, 7, 6, 3, 3, 1, 1, 6],
      [3, 8, 10, 9, 8, 3, 3, 2, 1, 8], [2, 5, 6, 7, 7, 1, 1, 1, 0, 1], [1, 3, 12, 12, 4, 5, 5, 2, 2, 1],
      [2, 4, 5, 5, 8, 3, 3, 1, 0, 4], [1, 16, 14, 14, 32, 3, 3, 1, 1, 1], [1, 3, 17, 13, 7, 3, 2, 3, 1, 1],
      [2, 4, 6, 11, 4, 2, 3, 1, 2, 4], [1, 3, 20, 37, 3, 5, 5, 1, 0, 3], [2, 2, 9, 19, 6, 3, 3, 1, 1, 2],
    ];
    for (const [n, cIn, h, w, cOut, kh, kw, stride, padding, groups] of cases) {
      const s: ConvShape = {
        n, cIn, h, w, cOut, kh, kw, stride, padding, groups,
        hOut: Math.floor((h + 2 * padding - kh) / stride) + 1, wOut: Math.floor((w + 2 * padding - kw) / stride) + 1,
      };
      const name = `conv ${JSON.stringify(s)}`;
      const x = rand(n * cIn * h * w), wt = rand(cOut * (cIn / groups) * kh * kw), bias = rand(cOut);
      const g = rand(n * cOut * s.hOut * s.wOut);
      const mag = f32(cpuConv.conv2d(st(abs(x)), st(abs(wt)), st(abs(bias)), s));
      expectClose(`${name} forward`, f32(nativeConv.conv2d(st(x), st(wt), st(bias), s)),
        f32(cpuConv.conv2d(st(x), st(wt), st(bias), s)), { atol: 0, rtol: 0, mag, magTol: 4e-6 });
      const need = { x: true, w: true, bias: true };
      const got = nativeConv.conv2dBackward(st(g), st(x), st(wt), s, need);
      const want = cpuConv.conv2dBackward(st(g), st(x), st(wt), s, need);
      const magB = cpuConv.conv2dBackward(st(abs(g)), st(abs(x)), st(abs(wt)), s, need);
      expectClose(`${name} dx`, f32(got.dx!), f32(want.dx!), { atol: 0, rtol: 0, mag: f32(magB.dx!), magTol: 4e-6 });
      expectClose(`${name} dw`, f32(got.dw!), f32(want.dw!), { atol: 0, rtol: 0, mag: f32(magB.dw!), magTol: 4e-6 });
      expectClose(`${name} dbias`, f32(got.dbias!), f32(want.dbias!), { atol: 0, rtol: 0, mag: f32(magB.dbias!), magTol: 4e-6 });
      const only = nativeConv.conv2dBackward(st(g), st(x), st(wt), s, { x: false, w: true, bias: false });
      expect(only.dx).toBeUndefined();
      expect(only.dbias).toBeUndefined();
      expectExact(`${name} dw alone`, f32(only.dw!), f32(got.dw!));
    }
  });

  it('maxPool2d forward (values, argmax with ties and NaN) and backward', () => {
    const cases = [[1, 1, 4, 4, 2, 2], [2, 3, 7, 9, 2, 1], [1, 2, 5, 5, 3, 2], [2, 1, 13, 11, 3, 3], [1, 3, 8, 8, 1, 1]];
    for (const [n, c, h, w, kernel, stride] of cases) {
      const s: PoolShape = {
        n, c, h, w, kernel, stride,
        hOut: Math.floor((h - kernel) / stride) + 1, wOut: Math.floor((w - kernel) / stride) + 1,
      };
      const x = rand(n * c * h * w);
      for (let i = 0; i < x.length; i += 4) x[i] = 0.5;
      x[Math.floor(x.length / 2)] = NaN;
      const got = nativePool.maxPool2d(st(x), s);
      const want = cpuPool.maxPool2d(st(x), s);
      expectExact(`maxPool2d ${JSON.stringify(s)} y`, f32(got.y), f32(want.y));
      expectExact(`maxPool2d ${JSON.stringify(s)} argmax`, i32(got.argmax), i32(want.argmax));
      const g = rand(n * c * s.hOut * s.wOut);
      expectClose(`maxPool2dBackward ${JSON.stringify(s)}`, f32(nativePool.maxPool2dBackward(st(g), want.argmax, s)),
        f32(cpuPool.maxPool2dBackward(st(g), want.argmax, s)), { atol: 1e-6, rtol: 1e-6 });
    }
  });

  it('addInPlace, SGD (momentum, dampening, Nesterov, weight decay, first step) and Adam / AdamW', () => {
    for (const n of tails) {
      const d1 = rand(n), src = rand(n), d2 = d1.slice();
      cpuOptim.addInPlace(st(d1), st(src), n);
      nativeOptim.addInPlace(st(d2), st(src), n);
      expectExact(`addInPlace n ${n}`, d2, d1);
      const sgds: SgdParams[] = [
        { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, hasMomentumBuffer: false },
        { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, hasMomentumBuffer: true },
        { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 1e-2, hasMomentumBuffer: true },
        { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-2, hasMomentumBuffer: true },
        { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, hasMomentumBuffer: false },
      ];
      for (const p of sgds) {
        const p1 = rand(n), g = rand(n), b1 = rand(n), p2 = p1.slice(), b2 = b1.slice();
        cpuOptim.sgdStep(st(p1), st(g), p.momentum ? st(b1) : null, n, p);
        nativeOptim.sgdStep(st(p2), st(g), p.momentum ? st(b2) : null, n, p);
        expectClose(`sgd ${JSON.stringify(p)} param`, p2, p1, { atol: 1e-7, rtol: 1e-6 });
        expectClose(`sgd ${JSON.stringify(p)} buf`, b2, b1, { atol: 1e-7, rtol: 1e-6 });
      }
      const adams: AdamParams[] = [
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 },
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: false, step: 7 },
        { lr: 1e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2, decoupled: true, step: 30 },
      ];
      for (const p of adams) {
        const p1 = rand(n), g = rand(n), m1 = rand(n, -0.1, 0.1), v1 = rand(n, 0, 0.01);
        const p2 = p1.slice(), m2 = m1.slice(), v2 = v1.slice();
        cpuOptim.adamStep(st(p1), st(g), st(m1), st(v1), n, p);
        nativeOptim.adamStep(st(p2), st(g), st(m2), st(v2), n, p);
        expectClose(`adam ${JSON.stringify(p)} param`, p2, p1, { atol: 1e-7, rtol: 1e-6 });
        expectClose(`adam ${JSON.stringify(p)} m`, m2, m1, { atol: 3e-8, rtol: 1e-6 });
        expectClose(`adam ${JSON.stringify(p)} v`, v2, v1, { atol: 1e-10, rtol: 1e-6 });
      }
    }
  });

  it('the addon rejects bad arguments with TypeError / RangeError instead of crashing', () => {
    const ops = addon as unknown as Record<string, (...args: unknown[]) => void>;
    const a = new Float32Array(6), b = new Float32Array(6), out = new Float32Array(4);
    expect(() => ops.matmul(a, b, 2, 3, 2, false, false, out)).not.toThrow();
    expect(() => ops.matmul(a, b, 2, 4, 2, false, false, out)).toThrow(RangeError);
    expect(() => ops.matmul(a, b, 2, 3, 2, 0, false, out)).toThrow(TypeError);
    expect(() => ops.matmul([1, 2], b, 2, 3, 2, false, false, out)).toThrow(TypeError);
    expect(() => ops.matmul(a, b, 2, 3, 2, false, false, a.subarray(0, 4))).toThrow(/share memory/);
    expect(() => ops.unary(9, a, 6, new Float32Array(6))).toThrow(RangeError);
    expect(() => ops.affine(a, 6, NaN, 0, new Float32Array(6))).toThrow(RangeError);
    expect(() => ops.binary(0, a, 3, 1, b, 3, 1, 3, 3, new Float32Array(9))).toThrow(/too short/);
    expect(() => ops.dropout(a, 6, 1.5, 1, new Float32Array(6), new Float32Array(6))).toThrow(RangeError);
    expect(() => ops.conv2d(new Float32Array(16), new Float32Array(9), null, new Float32Array(4),
      1, 1, 4, 4, 1, 3, 3, 1, 0, 1, 3, 2)).toThrow(/hOut/);
    expect(() => ops.conv2d(new Float32Array(32), new Float32Array(18), null, new Float32Array(12),
      1, 2, 4, 4, 3, 3, 3, 1, 0, 2, 2, 2)).toThrow(/groups/);
    const argmax = new Int32Array([0, 1, 2, 99]);
    expect(() => ops.maxPool2dBackward(new Float32Array(4), argmax, new Float32Array(16), 1, 1, 4, 4, 2, 2, 2, 2))
      .toThrow(/outside its input plane/);
    expect(() => ops.sgdStep(a, b, null, 6, 0.1, 0.9, 0, false, 0, true)).toThrow(TypeError);
    expect(() => ops.adamStep(a, b, new Float32Array(6), new Float32Array(6), 6, 1e-3, 0.9, 0.999, 1e-8, 0, false, 0))
      .toThrow(RangeError);
  });
});
