/**
 * The webgpu backend against the cpu backend (the definition of correct), method by method, on
 * random inputs at odd sizes: C = 1, 257, 1025, 32000 for the losses, -Infinity teacher entries,
 * fully masked rows and +-1e4 logits. Also the raw layer (kd-kernels/webgpu) on buffers the caller
 * created. Skipped with a printed reason when there is no WebGPU adapter, unless KD_REQUIRE_WEBGPU=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Divergence } from '../../src/backends/backend.js';
import { cpuBackend } from '../../src/backends/cpu/index.js';
import { createWebGPUBackend, type WebGPUBackend } from '../../src/backends/webgpu/index.js';
import { createKernels } from '../../src/webgpu.js';
import { generatedShaders } from '../../src/backends/webgpu/shaders.generated.js';
import { readFileSync, readdirSync } from 'node:fs';
import {
  compare, extreme, labelsFor, masked, rand, randn, same as sameOn, TOL, type Out, type Tol,
} from '../harness/gpu-compare.js';

let gpu: WebGPUBackend | null = null;
let reason = '';
try {
  gpu = await createWebGPUBackend();
} catch (e) {
  reason = (e as Error).message;
}
const required = process.env.KD_REQUIRE_WEBGPU === '1';
if (!gpu && !required) console.log(`[skip] webgpu kernels: ${reason}`);

const same = (fn: Parameters<typeof sameOn>[2], tol: Tol = TOL): Promise<void> => sameOn(cpuBackend, gpu!, fn, tol);

const d = gpu || required ? describe : describe.skip;

d('webgpu backend vs cpu backend', () => {
  beforeAll(() => {
    if (!gpu) throw new Error(`KD_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${reason}`);
  });
  afterAll(() => gpu?.destroy());

  it('ships a generated shader module identical to shaders/*.wgsl', () => {
    for (const f of readdirSync('shaders').filter((x) => x.endsWith('.wgsl'))) {
      expect(generatedShaders[f.slice(0, -5)], f).toBe(readFileSync(`shaders/${f}`, 'utf8'));
    }
  });

  it('round-trips storage; readSync throws', async () => {
    const x = randn(1001);
    expect(await gpu!.read(gpu!.upload(x))).toEqual(x);
    const y = Int32Array.from([1, -2, 3]);
    expect(await gpu!.read(gpu!.upload(y))).toEqual(y);
    expect(await gpu!.read(gpu!.zeros(5, 'float32'))).toEqual(new Float32Array(5));
    expect(() => gpu!.readSync(gpu!.zeros(1, 'float32'))).toThrow(/asynchronous/);
  });

  const divergences: Divergence[] = ['forward-kl', 'reverse-kl', 'jsd'];
  for (const cols of [1, 257, 1025, 32000]) {
    const rows = cols === 32000 ? 3 : 5;
    for (const divergence of divergences) {
      it(`softmaxKL ${divergence} C=${cols}`, async () => {
        const s = randn(rows * cols, 4);
        const t = randn(rows * cols, 4);
        for (const [ss, tt, T, beta] of [
          [s, t, 2, 0.5], [extreme(s), masked(t, rows, cols, divergence !== 'reverse-kl'), 1, 0.3],
          [s, masked(t, rows, cols), 4, 0], [s, t, 1, 1],
        ] as [Float32Array, Float32Array, number, number][]) {
          await same((b, up) => b.softmaxKL({
            student: up(ss), teacher: up(tt), rows, cols, temperature: T, divergence, beta,
            studentGradScale: 1 / rows, teacherGradScale: 0.5,
          }) as unknown as Out);
        }
      });
    }
    it(`crossEntropy C=${cols}`, async () => {
      const x = randn(rows * cols, 4);
      const y = labelsFor(rows, cols);
      const w = Float32Array.from({ length: cols }, () => 0.5 + rand());
      for (const [xx, eps, weight] of [[x, 0, false], [extreme(x), 0.1, true], [x, 0.2, false]] as [Float32Array, number, boolean][]) {
        await same((b, up) => b.crossEntropy({
          logits: up(xx), labels: up(y), rows, cols, labelSmoothing: eps, ignoreIndex: -100,
          weight: weight ? up(w) : null, gradScale: 0.25,
        }) as unknown as Out);
      }
    });
    it(`hinton C=${cols}`, async () => {
      const s = randn(rows * cols, 4);
      const t = masked(randn(rows * cols, 4), rows, cols);
      const y = labelsFor(rows, cols);
      const w = Float32Array.from({ length: cols }, () => 0.5 + rand());
      await same((b, up) => b.hinton({
        student: up(s), teacher: up(t), labels: up(y), rows, cols, temperature: 3, labelSmoothing: 0.1,
        ignoreIndex: -100, weight: up(w), softGradScale: 0.9 / rows, hardGradScale: 0.1 / rows,
      }) as unknown as Out);
      await same((b, up) => b.hinton({
        student: up(extreme(s)), teacher: up(t), labels: up(y), rows, cols, temperature: 1, labelSmoothing: 0,
        ignoreIndex: -100, weight: null, softGradScale: null, hardGradScale: 1,
      }) as unknown as Out);
    });
    it(`multiTeacherKL C=${cols}`, async () => {
      const s = randn(rows * cols, 4);
      const t1 = masked(randn(rows * cols, 4), rows, cols);
      const t2 = randn(rows * cols, 4);
      const t3 = masked(randn(rows * cols, 4), rows, cols);
      await same((b, up) => b.multiTeacherKL({
        student: up(s), teachers: [up(t1), up(t2), up(t3)], weights: [0.5, 0.3, 0.2], rows, cols,
        temperature: 2, studentGradScale: 1 / rows, teacherGradScales: [1, null, 0.5],
      }) as unknown as Out);
      // Every teacher fully masked on row 1 (q = 0 there).
      await same((b, up) => b.multiTeacherKL({
        student: up(extreme(s)), teachers: [up(t1), up(t3)], weights: [0.6, 0.4], rows, cols,
        temperature: 1, studentGradScale: 1, teacherGradScales: [null, 1],
      }) as unknown as Out);
    });
  }

  for (const [b, ds, dt] of [[1, 3, 2], [7, 33, 17], [40, 100, 64]]) {
    it(`gramSimilarity b=${b} ds=${ds} dt=${dt}`, async () => {
      const fs = randn(b * ds);
      const ft = randn(b * dt);
      await same((be, up) => be.gramSimilarity({
        student: up(fs), teacher: up(ft), b, ds, dt, studentGradScale: 1, teacherGradScale: 0.5,
      }) as unknown as Out);
      await same((be, up) => be.gramSimilarity({
        student: up(fs), teacher: up(new Float32Array(b * dt)), b, ds, dt, studentGradScale: 2, teacherGradScale: null,
      }) as unknown as Out);
    });
  }

  for (const size of [1, 1000, 300001]) {
    it(`mse size=${size}`, async () => {
      const a = randn(size);
      const bb = randn(size);
      await same((b, up) => b.mse({ a: up(a), b: up(bb), size, aGradScale: 1 / size, bGradScale: 2 }) as unknown as Out);
      await same((b, up) => b.mse({ a: up(a), b: up(bb), size, aGradScale: null, bGradScale: null }) as unknown as Out);
    });
  }

  it('matmul with transA / transB at odd sizes', async () => {
    for (const [m, k, n] of [[1, 1, 1], [17, 33, 5], [64, 70, 129]]) {
      for (const ta of [false, true]) for (const tb of [false, true]) {
        const A = randn(m * k);
        const B = randn(k * n);
        await same((b, up) => b.matmul(up(A), up(B), m, k, n, ta, tb));
      }
    }
  });

  it('binary ops with broadcasting views, unary, affine', async () => {
    const rows = 37;
    const cols = 29;
    const A = randn(rows * cols, 3);
    A[3] = NaN;
    const B = randn(rows * cols, 3);
    const row = randn(cols, 3);
    const col = randn(rows, 3);
    for (const op of ['add', 'sub', 'mul', 'div', 'reluGrad', 'max', 'min'] as const) {
      await same((b, up) => b.binary(op, { storage: up(A), rowStride: cols, colStride: 1 }, { storage: up(B), rowStride: cols, colStride: 1 }, rows, cols));
      await same((b, up) => b.binary(op, { storage: up(A), rowStride: cols, colStride: 1 }, { storage: up(row), rowStride: 0, colStride: 1 }, rows, cols));
      await same((b, up) => b.binary(op, { storage: up(col), rowStride: 1, colStride: 0 }, { storage: up(B), rowStride: 1, colStride: rows }, rows, cols));
      await same((b, up) => b.binary(op, { storage: up(row), rowStride: 0, colStride: 0 }, { storage: up(B), rowStride: cols, colStride: 1 }, rows, cols));
    }
    const X = randn(1000, 5);
    X[0] = NaN; X[1] = 0; X[2] = -0;
    for (const op of ['relu', 'exp', 'log', 'neg', 'square', 'sqrt', 'abs'] as const) {
      await same((b, up) => b.unary(op, up(X), X.length));
    }
    await same((b, up) => b.affine(up(X), X.length, -1.5, 0.25));
  });

  it('sum over rows / cols / all', async () => {
    for (const [rows, cols] of [[1, 1], [3, 1000], [513, 7], [300, 300]]) {
      const X = randn(rows * cols);
      for (const axis of ['rows', 'cols', 'all'] as const) {
        await same((b, up) => b.sum(up(X), rows, cols, axis, 0.5), { rtol: 2e-3, atolRel: 1e-3 });
      }
    }
  });

  it('softmax / logSoftmax and their backward', async () => {
    for (const [rows, cols] of [[3, 1], [5, 257], [2, 32000]]) {
      const X = extreme(randn(rows * cols, 5));
      const G = randn(rows * cols);
      for (const log of [false, true]) {
        await same((b, up) => b.softmax(up(X), rows, cols, log));
        await same((b, up) => b.softmaxBackward(b.softmax(up(X), rows, cols, log), up(G), rows, cols, log));
      }
    }
  });

  it('transpose', async () => {
    for (const [rows, cols] of [[1, 1], [17, 33], [100, 3]]) {
      const X = randn(rows * cols);
      await same((b, up) => b.transpose(up(X), rows, cols), { rtol: 0, atolRel: 0 });
    }
  });

  it('dropout masks are bit-identical to the cpu', async () => {
    const X = randn(100003);
    for (const [p, s] of [[0, 1], [0.1, 7], [0.5, 123456789], [0.9, 4294967295], [1, 3]]) {
      await same((b, up) => b.dropout(up(X), X.length, p, s), { rtol: 0, atolRel: 0 });
    }
  });

  it('conv2d forward and backward (stride, padding, groups)', async () => {
    const shapes = [
      { n: 2, cIn: 3, h: 9, w: 7, cOut: 4, kh: 3, kw: 3, stride: 1, padding: 1, groups: 1 },
      { n: 1, cIn: 4, h: 8, w: 8, cOut: 4, kh: 3, kw: 3, stride: 2, padding: 1, groups: 4 },
      { n: 3, cIn: 4, h: 6, w: 5, cOut: 6, kh: 2, kw: 3, stride: 2, padding: 0, groups: 2 },
    ];
    for (const sh of shapes) {
      const s = { ...sh, hOut: Math.floor((sh.h + 2 * sh.padding - sh.kh) / sh.stride) + 1, wOut: Math.floor((sh.w + 2 * sh.padding - sh.kw) / sh.stride) + 1 };
      const X = randn(s.n * s.cIn * s.h * s.w);
      const W = randn(s.cOut * (s.cIn / s.groups) * s.kh * s.kw);
      const bias = randn(s.cOut);
      const G = randn(s.n * s.cOut * s.hOut * s.wOut);
      await same((b, up) => b.conv2d(up(X), up(W), up(bias), s));
      await same((b, up) => b.conv2d(up(X), up(W), null, s));
      await same((b, up) => b.conv2dBackward(up(G), up(X), up(W), s, { x: true, w: true, bias: true }) as unknown as Out);
    }
  });

  it('maxPool2d forward and backward (overlapping windows)', async () => {
    for (const sh of [{ n: 2, c: 3, h: 8, w: 6, kernel: 2, stride: 2 }, { n: 1, c: 2, h: 7, w: 7, kernel: 3, stride: 2 }]) {
      const s = { ...sh, hOut: Math.floor((sh.h - sh.kernel) / sh.stride) + 1, wOut: Math.floor((sh.w - sh.kernel) / sh.stride) + 1 };
      const X = randn(s.n * s.c * s.h * s.w);
      const G = randn(s.n * s.c * s.hOut * s.wOut);
      await same((b, up) => b.maxPool2d(up(X), s) as unknown as Out);
      await same((b, up) => b.maxPool2dBackward(up(G), b.maxPool2d(up(X), s).argmax, s));
    }
  });

  it('addInPlace, SGD and Adam/AdamW steps', async () => {
    const size = 1031;
    const P = randn(size);
    const G = randn(size);
    const M = randn(size);
    const V = Float32Array.from(randn(size), Math.abs);
    await same((b, up) => { const d0 = up(P); b.addInPlace(d0, up(G), size); return d0; });
    for (const sgd of [
      { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, hasMomentumBuffer: false },
      { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 1e-2, hasMomentumBuffer: true },
      { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0, hasMomentumBuffer: false },
    ]) {
      await same((b, up) => {
        const p = up(P);
        const buf = sgd.momentum ? up(M) : null;
        b.sgdStep(p, up(G), buf, size, sgd);
        return [p, buf];
      });
    }
    for (const adam of [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 },
      { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false, step: 7 },
      { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3 },
    ]) {
      await same((b, up) => {
        const p = up(P); const m = up(M); const v = up(V);
        b.adamStep(p, up(G), m, v, size, adam);
        return [p, m, v];
      });
    }
  });

  it('raw layer: kernels encode into the caller\'s encoder on the caller\'s buffers', async () => {
    const device = gpu!.device;
    const kernels = createKernels(device);
    const rows = 4;
    const cols = 300;
    const s = randn(rows * cols, 3);
    const t = masked(randn(rows * cols, 3), rows, cols, false);
    const mk = (data: Float32Array | number, extra = 0) => {
      const bytes = typeof data === 'number' ? data * 4 : data.byteLength;
      const buf = device.createBuffer({ size: bytes, usage: 128 | 4 | 8 | extra }); // STORAGE | COPY_SRC | COPY_DST
      if (typeof data !== 'number') device.queue.writeBuffer(buf, 0, data);
      return buf;
    };
    const student = mk(s);
    const teacher = mk(t);
    const rowLoss = mk(rows);
    const gradStudent = mk(rows * cols);
    const staging = device.createBuffer({ size: rows * 4 + rows * cols * 4, usage: 1 | 8 }); // MAP_READ | COPY_DST
    const enc = device.createCommandEncoder();
    kernels.softmaxKL(enc, { student, teacher, rowLoss, gradStudent, rows, cols, temperature: 2, studentGradScale: 1 / rows });
    enc.copyBufferToBuffer(rowLoss, 0, staging, 0, rows * 4);
    enc.copyBufferToBuffer(gradStudent, 0, staging, rows * 4, rows * cols * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(1);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    const ref = cpuBackend.softmaxKL({
      student: cpuBackend.upload(s), teacher: cpuBackend.upload(t), rows, cols, temperature: 2,
      divergence: 'forward-kl', beta: 0.5, studentGradScale: 1 / rows, teacherGradScale: null,
    });
    compare('raw rowLoss', out.subarray(0, rows), cpuBackend.readSync(ref.rowLoss), TOL);
    compare('raw gradStudent', out.subarray(rows), cpuBackend.readSync(ref.gradStudent!), TOL);
    for (const b of [student, teacher, rowLoss, gradStudent, staging]) b.destroy();
  });

  it('a destroyed or lost device rejects pending reads and throws on later calls, nothing hangs', async () => {
    const b2 = await createWebGPUBackend();
    const x = b2.upload(randn(1000));
    const y = b2.affine(x, 1000, 2, 1);
    const pending = b2.read(y);
    b2.destroy();
    // The read either completed before the destroy or rejects with a clear error; it never hangs.
    await pending.then((v) => expect(v.length).toBe(1000), (e: Error) => expect(e.message).toMatch(/destroyed|lost/));
    expect(() => b2.affine(x, 1000, 2, 1)).toThrow(/destroyed/);
    await expect(b2.read(x)).rejects.toThrow(/destroyed/);
    const b3 = await createWebGPUBackend();
    const z = b3.upload(randn(10));
    b3.device.destroy(); // lost from outside kd-kernels
    await expect(b3.read(b3.affine(z, 10, 1, 0))).rejects.toThrow(/lost|destroyed/);
  });

  it('an uncaptured WebGPU error fails the backend with a clear message', async () => {
    const b4 = await createWebGPUBackend();
    const x = b4.upload(randn(16));
    const pending = b4.read(b4.affine(x, 16, 1, 0));
    // A raw-layer call on a buffer without STORAGE usage: a validation error on b4's device.
    const bad = b4.device.createBuffer({ size: 64, usage: 8 });
    const good = b4.device.createBuffer({ size: 64, usage: 128 });
    const enc = b4.device.createCommandEncoder();
    const sumSq = b4.device.createBuffer({ size: 4, usage: 128 });
    createKernels(b4.device).mse(enc, { a: bad, b: good, sumSq, size: 16 });
    b4.device.queue.submit([enc.finish()]);
    // Dawn reports it at once: the read in flight rejects (or had finished), later calls throw.
    await pending.then((v) => expect(v.length).toBe(16), (e: Error) => expect(e.message).toMatch(/uncaptured WebGPU error/));
    expect(() => b4.affine(x, 16, 1, 0)).toThrow(/uncaptured WebGPU error: .*Storage/);
    await expect(b4.read(x)).rejects.toThrow(/uncaptured WebGPU error/);
    b4.destroy();
  });

  it('more rows than one dispatch dimension holds (2-D workgroup grid)', async () => {
    const rows = 70001;
    const cols = 3;
    const s = randn(rows * cols, 3);
    const t = masked(randn(rows * cols, 3), rows, cols);
    const y = labelsFor(rows, cols);
    await same((b, up) => b.softmaxKL({
      student: up(s), teacher: up(t), rows, cols, temperature: 2, divergence: 'forward-kl', beta: 0.5,
      studentGradScale: 1 / rows, teacherGradScale: null,
    }) as unknown as Out);
    await same((b, up) => b.crossEntropy({
      logits: up(s), labels: up(y), rows, cols, labelSmoothing: 0.1, ignoreIndex: -100,
      weight: null, gradScale: 1,
    }) as unknown as Out);
    await same((b, up) => b.sum(up(s), rows, cols, 'cols', 1));
    await same((b, up) => b.softmax(up(s), rows, cols, true));
  });

  it('throws a clear RangeError past maxStorageBufferBindingSize', () => {
    const limit = gpu!.device.limits.maxStorageBufferBindingSize;
    expect(() => gpu!.zeros(Math.floor(limit / 4) + 1, 'float32')).toThrow(/maxStorageBufferBindingSize/);
  });
});
