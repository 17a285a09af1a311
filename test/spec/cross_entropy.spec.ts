/** losses.crossEntropy (fused log-softmax + NLL, label smoothing, ignoreIndex, class weights) on every backend. */
import { expect, it } from 'vitest';
import { losses, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose, expectClose, expectGrad, loadFixtures, materialise, num, type Num } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

const labelsT = (y: number[]) => tensor(Int32Array.from(y), [y.length], { dtype: 'int32' });

describeEachBackend('crossEntropy', ({ tol }) => {
  for (const c of loadFixtures('cross_entropy.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const { rows, cols } = c.shape;
      const { labelSmoothing, ignoreIndex, reduction } = c.options;
      const weight = c.inputs.weight ? materialise(c.inputs.weight) : undefined;
      const z = tensor(materialise(c.inputs.logits), [rows, cols], { requiresGrad: true });
      const loss = losses.crossEntropy(z, labelsT(c.inputs.labels), { labelSmoothing, ignoreIndex, weight, reduction });
      const value = (await loss.data()) as Float32Array;
      if (reduction === 'none') expectArrayClose(value, (c.loss as Num[]).map(num), 'rowLoss', tol);
      else expectClose(value[0], num(c.loss as Num), 'loss', tol);
      (reduction === 'none' ? loss.sum() : loss).backward();
      expectGrad((await z.grad!.data()) as Float32Array, c.grads.logits, 'grad', tol);
    });
  }

  it('gradcheck with label smoothing, weights and an ignored row', async () => {
    await gradcheck(
      'crossEntropy',
      ([z, y]) => losses.crossEntropy(z, y, { labelSmoothing: 0.2, weight: [1, 2, 0.5, 1.5], ignoreIndex: -1 }),
      [
        { data: uniformInputs(21, 3 * 4, -2, 2), shape: [3, 4] },
        { data: Int32Array.from([2, -1, 0]), shape: [3], dtype: 'int32', requiresGrad: false },
      ],
    );
  });

  it('every row ignored: mean over a denominator clamped to 1 gives 0, never NaN', async () => {
    const z = tensor(uniformInputs(1, 8, -1, 1), [2, 4], { requiresGrad: true });
    const loss = losses.crossEntropy(z, labelsT([-100, -100]));
    expect((await loss.data())[0]).toBe(0);
    loss.backward();
    expect(Array.from((await z.grad!.data()) as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('logits of magnitude 1e4 are finite', async () => {
    const z = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 0]], undefined, { requiresGrad: true });
    const loss = losses.crossEntropy(z, labelsT([1, 1]));
    expectClose((await loss.data())[0], 1e4, 'loss', tol); // row 0: -log p_1 = 2e4, row 1: 0
    loss.backward();
    expectArrayClose((await z.grad!.data()) as Float32Array, [0.5, -0.5, 0, 0, 0, 0], 'grad', tol);
  });
});
