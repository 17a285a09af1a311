/** losses.kdLoss (fused softmax-KL: forward-kl, reverse-kl, jsd) on every backend. */
import { expect, it } from 'vitest';
import { losses, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose, expectClose, expectGrad, loadFixtures, materialise, num, type Num } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

describeEachBackend('kdLoss', ({ tol }) => {
  for (const c of loadFixtures('softmax_kl.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const { rows, cols } = c.shape;
      const { temperature, divergence, beta, reduction } = c.options;
      const s = tensor(materialise(c.inputs.student), [rows, cols], { requiresGrad: true });
      const t = tensor(materialise(c.inputs.teacher), [rows, cols], { requiresGrad: !!c.grads.teacher });
      const loss = losses.kdLoss(s, t, { temperature, divergence, beta, reduction });
      const value = (await loss.data()) as Float32Array;
      if (reduction === 'none') expectArrayClose(value, (c.loss as Num[]).map(num), 'rowLoss', tol);
      else expectClose(value[0], num(c.loss as Num), 'loss', tol);
      (reduction === 'none' ? loss.sum() : loss).backward();
      expectGrad((await s.grad!.data()) as Float32Array, c.grads.student, 'student grad', tol);
      if (c.grads.teacher) expectGrad((await t.grad!.data()) as Float32Array, c.grads.teacher, 'teacher grad', tol);
    });
  }

  for (const divergence of ['forward-kl', 'reverse-kl', 'jsd'] as const) {
    it(`gradcheck ${divergence} (student and teacher)`, async () => {
      const s = uniformInputs(11, 3 * 5, -2, 2);
      const t = uniformInputs(12, 3 * 5, -2, 2);
      await gradcheck(divergence, ([a, b]) => losses.kdLoss(a, b, { temperature: 2, divergence, beta: 0.3 }), [
        { data: s, shape: [3, 5] },
        { data: t, shape: [3, 5] },
      ]);
    });
  }

  it('an upstream gradient that is not 1 scales the gradient (loss.mul(3))', async () => {
    const sv = uniformInputs(1, 4 * 6, -3, 3);
    const tv = uniformInputs(2, 4 * 6, -3, 3);
    const s1 = tensor(sv, [4, 6], { requiresGrad: true });
    losses.kdLoss(s1, tensor(tv, [4, 6]), { temperature: 2 }).backward();
    const s3 = tensor(sv, [4, 6], { requiresGrad: true });
    losses.kdLoss(s3, tensor(tv, [4, 6]), { temperature: 2 }).mul(3).backward();
    const g1 = (await s1.grad!.data()) as Float32Array;
    expectArrayClose((await s3.grad!.data()) as Float32Array, g1.map((v) => 3 * v), 'grad x3', tol);
  });

  it("reduction 'none' takes a per-row upstream gradient", async () => {
    const sv = uniformInputs(3, 3 * 4, -3, 3);
    const tv = uniformInputs(4, 3 * 4, -3, 3);
    const up = [0.5, -2, 3];
    const s = tensor(sv, [3, 4], { requiresGrad: true });
    losses.kdLoss(s, tensor(tv, [3, 4]), { reduction: 'none' }).backward(tensor(up, [3]));
    const ref = tensor(sv, [3, 4], { requiresGrad: true });
    losses.kdLoss(ref, tensor(tv, [3, 4]), { reduction: 'sum' }).backward();
    const g = (await ref.grad!.data()) as Float32Array;
    const expected = g.map((v, i) => v * up[Math.floor(i / 4)]);
    expectArrayClose((await s.grad!.data()) as Float32Array, expected, 'row-scaled grad', tol);
  });

  it('logits of magnitude 1e4 give finite, correct results', async () => {
    const s = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]], undefined, { requiresGrad: true });
    const t = tensor([[1e4, 0, -1e4], [1e4, -1e4, 1e4]]);
    const loss = await losses.kdLoss(s, t, { temperature: 1 }).data();
    // Row 0: same argmax, so both are one-hot: KL 0. Row 1: p_t = [0.5, 0, 0.5], p_s = [0, 0.5, 0.5]
    // with p_s(0) = exp(-2e4)/2 in float64: KL = 0.5 * (log 0.5 - (-2e4 + log 0.5)) = 1e4; batchmean / 2.
    expectClose(loss[0], 5000, 'loss', tol);
    losses.kdLoss(s, t, { temperature: 1 }).backward();
    const g = (await s.grad!.data()) as Float32Array;
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    expectArrayClose(g, [0, 0, 0, -0.25, 0.25, 0], 'grad', tol);
  });

  it('masked teacher classes (-Infinity) give 0 loss and 0 gradient there, never NaN', async () => {
    const rows = 2;
    const cols = 5;
    const tv = uniformInputs(6, rows * cols, -2, 2);
    tv[1] = -Infinity;
    tv[3] = -Infinity;
    tv.fill(-Infinity, cols, 2 * cols); // a fully masked row: loss 0
    for (const divergence of ['forward-kl', 'jsd'] as const) {
      const s = tensor(uniformInputs(5, rows * cols, -2, 2), [rows, cols], { requiresGrad: true });
      const t = tensor(tv, [rows, cols], { requiresGrad: true });
      const loss = losses.kdLoss(s, t, { divergence, temperature: 2, reduction: 'none' });
      const v = await loss.data();
      expect(Number.isFinite(v[0]), divergence).toBe(true);
      expect(v[1], divergence).toBe(0);
      loss.sum().backward();
      const gt = (await t.grad!.data()) as Float32Array;
      const gs = (await s.grad!.data()) as Float32Array;
      expect(Array.from(gs).every(Number.isFinite), divergence).toBe(true);
      expect([gt[1], gt[3], ...gt.subarray(cols)].every((x) => x === 0), divergence).toBe(true);
      expect(Array.from(gs.subarray(cols)).every((x) => x === 0), divergence).toBe(true);
    }
  });

  it('reverse-kl with a masked teacher class under student mass is +Infinity (as PyTorch) with a zero gradient row', async () => {
    const s = tensor([[0, 0, 0], [1, 2, 3]], undefined, { requiresGrad: true });
    const t = tensor([[0, -Infinity, 0], [1, 2, 3]]);
    const loss = losses.kdLoss(s, t, { divergence: 'reverse-kl', reduction: 'none' });
    const v = await loss.data();
    expect(v[0]).toBe(Infinity);
    expect(v[1]).toBeCloseTo(0, 6);
    loss.sum().backward();
    const g = (await s.grad!.data()) as Float32Array;
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    expect(Array.from(g.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('no gradient is computed when nothing requires grad', async () => {
    const loss = losses.kdLoss(tensor(uniformInputs(1, 6, -1, 1), [2, 3]), tensor(uniformInputs(2, 6, -1, 1), [2, 3]));
    expect(loss.requiresGrad).toBe(false);
    expect(Number.isFinite((await loss.data())[0])).toBe(true);
  });
});
