/** losses.similarityLoss (SP, Tung & Mori 2019) on every backend. */
import { expect, it } from 'vitest';
import { losses, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectClose, expectGrad, loadFixtures, materialise, num, type Num } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

describeEachBackend('similarityLoss', ({ tol }) => {
  for (const c of loadFixtures('gram.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const { b, ds, dt } = c.shape;
      const fs = tensor(materialise(c.inputs.student), [b, ds], { requiresGrad: true });
      const ft = tensor(materialise(c.inputs.teacher), [b, dt], { requiresGrad: true });
      const loss = losses.similarityLoss(fs, ft);
      expectClose((await loss.data())[0], num(c.loss as Num), 'loss', tol);
      loss.backward();
      expectGrad((await fs.grad!.data()) as Float32Array, c.grads.student, 'student grad', tol);
      expectGrad((await ft.grad!.data()) as Float32Array, c.grads.teacher, 'teacher grad', tol);
    });
  }

  it('gradcheck with different widths', async () => {
    await gradcheck('sp', ([a, b]) => losses.similarityLoss(a, b), [
      { data: uniformInputs(91, 4 * 3, -1, 1), shape: [4, 3] },
      { data: uniformInputs(92, 4 * 6, -1, 1), shape: [4, 6] },
    ]);
  });

  it('identical features give 0; features of rank 4 are flattened per sample', async () => {
    const v = uniformInputs(93, 3 * 2 * 2 * 2, -1, 1);
    const a = tensor(v, [3, 2, 2, 2]);
    const b = tensor(v, [3, 8]);
    expect((await losses.similarityLoss(a, b).data())[0]).toBeCloseTo(0, 6);
  });
});
