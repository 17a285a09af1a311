/** losses.hintonLoss (fused alpha * T^2 KL + (1 - alpha) CE) on every backend. */
import { expect, it } from 'vitest';
import { losses, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose, expectClose, expectGrad, loadFixtures, materialise, num, type Num } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

const labelsT = (y: number[]) => tensor(Int32Array.from(y), [y.length], { dtype: 'int32' });

describeEachBackend('hintonLoss', ({ tol }) => {
  for (const c of loadFixtures('hinton.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const { rows, cols } = c.shape;
      const { temperature, alpha, labelSmoothing, ignoreIndex } = c.options;
      const weight = c.inputs.weight ? materialise(c.inputs.weight) : undefined;
      const s = tensor(materialise(c.inputs.student), [rows, cols], { requiresGrad: true });
      const t = tensor(materialise(c.inputs.teacher), [rows, cols]);
      const { loss, soft, hard } = losses.hintonLoss(s, t, labelsT(c.inputs.labels), {
        temperature, alpha, labelSmoothing, ignoreIndex, weight, returnParts: true,
      });
      expectClose((await loss.data())[0], num(c.loss as Num), 'loss', tol);
      expectClose((await soft.data())[0], num(c.parts!.soft), 'soft', tol);
      expectClose((await hard.data())[0], num(c.parts!.hard), 'hard', tol);
      loss.backward();
      expectGrad((await s.grad!.data()) as Float32Array, c.grads.student, 'grad', tol);
    });
  }

  it('equals alpha * kdLoss (same token mask) + (1 - alpha) * crossEntropy, value and gradient', async () => {
    const sv = uniformInputs(31, 5 * 7, -3, 3);
    const tv = uniformInputs(32, 5 * 7, -3, 3);
    const y = [0, 6, -100, 3, 3];
    const opts = { temperature: 3, labelSmoothing: 0.1 };
    const s1 = tensor(sv, [5, 7], { requiresGrad: true });
    const h = losses.hintonLoss(s1, tensor(tv, [5, 7]), labelsT(y), { ...opts, alpha: 0.7 });
    h.backward();
    const s2 = tensor(sv, [5, 7], { requiresGrad: true });
    const kd = losses.kdLoss(s2, tensor(tv, [5, 7]), { temperature: 3, labels: labelsT(y) });
    const ce = losses.crossEntropy(s2, labelsT(y), { labelSmoothing: 0.1 });
    const ref = kd.mul(0.7).add(ce.mul(0.3));
    ref.backward();
    expectClose((await h.data())[0], (await ref.data())[0], 'loss', tol);
    expectArrayClose((await s1.grad!.data()) as Float32Array, (await s2.grad!.data()) as Float32Array, 'grad', tol);
  });

  it("reduction 'none' gives alpha * soft_i + (1 - alpha) * hard_i per row", async () => {
    const sv = uniformInputs(41, 3 * 4, -2, 2);
    const tv = uniformInputs(42, 3 * 4, -2, 2);
    const { loss, soft, hard } = losses.hintonLoss(tensor(sv, [3, 4]), tensor(tv, [3, 4]), labelsT([1, 2, 3]), {
      alpha: 0.25, temperature: 2, reduction: 'none', returnParts: true,
    });
    const [l, sft, hrd] = await Promise.all([loss.data(), soft.data(), hard.data()]);
    expect(l.length).toBe(3);
    expectArrayClose(l, Array.from(sft, (v, i) => 0.25 * v + 0.75 * hrd[i]), 'rows', tol);
  });

  it('gradcheck', async () => {
    await gradcheck('hinton', ([s, t]) => losses.hintonLoss(s, t, labelsT([1, 0, 3]), { temperature: 2, alpha: 0.6 }), [
      { data: uniformInputs(51, 12, -2, 2), shape: [3, 4] },
      { data: uniformInputs(52, 12, -2, 2), shape: [3, 4], requiresGrad: false },
    ]);
  });
});
