/** losses.hintLoss (FitNets MSE) on every backend. */
import { it } from 'vitest';
import { losses, nn, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectClose, expectGrad, loadFixtures, materialise, num, type Num } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

describeEachBackend('hintLoss', ({ tol }) => {
  for (const c of loadFixtures('mse.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const { size } = c.shape;
      const a = tensor(materialise(c.inputs.a), [size], { requiresGrad: true });
      const b = tensor(materialise(c.inputs.b), [size], { requiresGrad: true });
      const loss = losses.hintLoss(a, b);
      expectClose((await loss.data())[0], num(c.loss as Num), 'loss', tol);
      loss.backward();
      expectGrad((await a.grad!.data()) as Float32Array, c.grads.a, 'grad a', tol);
      expectGrad((await b.grad!.data()) as Float32Array, c.grads.b, 'grad b', tol);
    });
  }

  it('gradcheck through an nn.Linear regressor', async () => {
    const reg = new nn.Linear(3, 5, { seed: 7 }); // made on this backend
    await gradcheck('hint', ([x, t]) => losses.hintLoss(reg.forward(x), t), [
      { data: uniformInputs(101, 2 * 3, -1, 1), shape: [2, 3] },
      { data: uniformInputs(102, 2 * 5, -1, 1), shape: [2, 5] },
    ]);
  });
});
