/** The training ops through the public API: values against float64 references and gradchecks, on every backend. */
import { expect, it } from 'vitest';
import * as kd from '../../src/index.js';
import { tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

const u = (seed: number, n: number, lo = -1, hi = 1) => uniformInputs(seed, n, lo, hi);

function matmulRef(a: Float32Array, b: Float32Array, m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    out.push(s);
  }
  return out;
}

describeEachBackend('ops', ({ tol }) => {
  it('matmul matches a float64 reference on odd sizes', async () => {
    for (const [m, k, n] of [[1, 1, 1], [7, 13, 5], [33, 65, 17], [64, 784, 32]]) {
      const a = u(m * 3 + k, m * k);
      const b = u(n * 5 + k, k * n);
      const y = await tensor(a, [m, k]).matmul(tensor(b, [k, n])).data();
      expectArrayClose(y, matmulRef(a, b, m, k, n), `matmul ${m}x${k}x${n}`, tol);
    }
  });

  it('gradcheck: matmul, linear', async () => {
    await gradcheck('matmul', ([a, b]) => kd.matmul(a, b), [{ data: u(1, 6), shape: [2, 3] }, { data: u(2, 12), shape: [3, 4] }]);
    await gradcheck('linear', ([x, w, b]) => kd.linear(x, w, b), [
      { data: u(3, 6), shape: [2, 3] }, { data: u(4, 12), shape: [4, 3] }, { data: u(5, 4), shape: [4] },
    ]);
  });

  it('gradcheck: add, sub, mul, div with row, column and scalar broadcasting', async () => {
    const full = { data: u(6, 12), shape: [3, 4] };
    const row = { data: u(7, 4), shape: [4] };
    const col = { data: u(8, 3, 0.5, 1.5), shape: [3, 1] };
    const sc = { data: u(9, 1, 0.5, 1.5), shape: [1] };
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      for (const other of [full, row, col, sc]) {
        const b = op === 'div' ? { ...other, data: other.data.map((v) => 1 + Math.abs(v)) } : other;
        await gradcheck(`${op} ${JSON.stringify(b.shape)}`, ([x, y]) => kd[op](x, y), [full, b]);
      }
    }
    await gradcheck('scalar ops', ([x]) => x.add(2).mul(3).sub(1).div(4).neg(), [full]);
  });

  it('gradcheck: relu, exp, log, square, sqrt, sum, mean, softmax, logSoftmax, transpose, reshape', async () => {
    const x = { data: u(10, 12, -2, 2), shape: [3, 4] };
    const pos = { data: u(11, 12, 0.5, 2), shape: [3, 4] };
    await gradcheck('relu', ([a]) => kd.relu(a), [{ data: x.data.map((v) => (Math.abs(v) < 0.05 ? 0.5 : v)), shape: x.shape }]);
    await gradcheck('exp', ([a]) => kd.exp(a), [x]);
    await gradcheck('log', ([a]) => kd.log(a), [pos]);
    await gradcheck('square', ([a]) => kd.square(a), [x]);
    await gradcheck('sqrt', ([a]) => kd.sqrt(a), [pos]);
    await gradcheck('sum', ([a]) => kd.sum(a), [x]);
    await gradcheck('sum axis 0', ([a]) => kd.sum(a, 0), [x]);
    await gradcheck('mean axis -1', ([a]) => kd.mean(a, -1), [x]);
    await gradcheck('softmax', ([a]) => kd.softmax(a), [x]);
    await gradcheck('logSoftmax', ([a]) => kd.logSoftmax(a), [x]);
    await gradcheck('transpose', ([a]) => kd.transpose(a), [x]);
    await gradcheck('reshape', ([a]) => kd.reshape(a, [2, -1]).matmul(tensor(u(12, 12), [6, 2])), [x]);
  });

  it('gradcheck: conv2d (padding, stride, groups, depthwise) and maxPool2d', async () => {
    await gradcheck('conv2d', ([x, w, b]) => kd.conv2d(x, w, b, { padding: 1 }), [
      { data: u(13, 2 * 3 * 5 * 5), shape: [2, 3, 5, 5] }, { data: u(14, 4 * 3 * 3 * 3), shape: [4, 3, 3, 3] }, { data: u(15, 4), shape: [4] },
    ]);
    await gradcheck('conv2d stride 2 groups 2', ([x, w]) => kd.conv2d(x, w, null, { stride: 2, groups: 2 }), [
      { data: u(16, 1 * 4 * 6 * 6), shape: [1, 4, 6, 6] }, { data: u(17, 6 * 2 * 3 * 3), shape: [6, 2, 3, 3] },
    ]);
    await gradcheck('depthwise', ([x, w]) => kd.conv2d(x, w, null, { padding: 1, groups: 3 }), [
      { data: u(18, 3 * 4 * 4), shape: [1, 3, 4, 4] }, { data: u(19, 3 * 9), shape: [3, 1, 3, 3] },
    ]);
    // distinct values so the argmax is stable under the +-eps perturbation
    const px = Float32Array.from({ length: 2 * 2 * 6 * 6 }, (_, i) => ((i * 37) % 144) / 16);
    await gradcheck('maxPool2d', ([x]) => kd.maxPool2d(x, 2), [{ data: px, shape: [2, 2, 6, 6] }]);
  });

  it('dropout: same mask on every backend for a seed, scaled by 1/(1-p), identity in eval', async () => {
    const x = tensor(new Float32Array(1000).fill(1), [10, 100], { requiresGrad: true });
    const y = kd.dropout(x, 0.25, { seed: 1234 });
    const v = (await y.data()) as Float32Array;
    const { hashUniform } = await import('../../src/kernels/rng.js');
    const expected = Array.from(v, (_, i) => (hashUniform(1234, i) >= 0.25 ? 1 / 0.75 : 0));
    expectArrayClose(v, expected, 'mask', tol);
    y.sum().backward();
    expectArrayClose((await x.grad!.data()) as Float32Array, expected, 'grad', tol);
    expect(kd.dropout(x, 0.5, { training: false })).toBe(x);
  });

  it('softmax of a row with huge logits is finite', async () => {
    const y = await kd.softmax(tensor([[1e4, -1e4, 1e4]])).data();
    expectArrayClose(y, [0.5, 0, 0.5], 'softmax', tol);
  });
});
