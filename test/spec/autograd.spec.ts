/** Autograd: accumulation, zeroGrad, noGrad, deep graphs, an MLP against finite differences, on every backend. */
import { expect, it } from 'vitest';
import * as kd from '../../src/index.js';
import { losses, nn, noGrad, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

describeEachBackend('autograd', ({ tol }) => {
  it('leaf gradients accumulate across backward() calls until zeroGrad()', async () => {
    const x = tensor([1, 2, 3], [3], { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(3).sum().backward();
    expectArrayClose((await x.grad!.data()) as Float32Array, [5, 5, 5], 'accumulated', tol);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.square().sum().backward();
    expectArrayClose((await x.grad!.data()) as Float32Array, [2, 4, 6], 'after zeroGrad', tol);
  });

  it('a tensor used twice gets both contributions; fused-loss gradients accumulate too', async () => {
    const x = tensor([[1, -2], [3, 0.5]], undefined, { requiresGrad: true });
    x.mul(x).add(x).sum().backward(); // d/dx (x^2 + x) = 2x + 1
    expectArrayClose((await x.grad!.data()) as Float32Array, [3, -3, 7, 2], 'grad', tol);
    const s = tensor(uniformInputs(1, 6, -1, 1), [2, 3], { requiresGrad: true });
    const t = tensor(uniformInputs(2, 6, -1, 1), [2, 3]);
    losses.kdLoss(s, t).backward();
    const g1 = (await s.grad!.data()) as Float32Array;
    losses.kdLoss(s, t).backward();
    expectArrayClose((await s.grad!.data()) as Float32Array, g1.map((v) => 2 * v), 'twice', tol);
  });

  it('noGrad records nothing', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(() => y.sum().backward()).toThrow(TypeError);
  });

  it('a graph 5000 ops deep back-propagates (iterative topological sort)', async () => {
    const x = tensor([1], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 5000; i++) y = y.mul(1.0001);
    y.sum().backward();
    expect((await x.grad!.data())[0]).toBeCloseTo(1.0001 ** 5000, 2);
  });

  it('backward twice through a fused loss throws a clear error', () => {
    const s = tensor(uniformInputs(3, 6, -1, 1), [2, 3], { requiresGrad: true });
    const loss = losses.kdLoss(s, tensor(uniformInputs(4, 6, -1, 1), [2, 3]));
    loss.backward();
    expect(() => loss.backward()).toThrow(/second time/);
  });

  it("an MLP's gradients (linear-relu-linear + hinton loss) match finite differences", async () => {
    const l1 = new nn.Linear(5, 8, { seed: 1 });
    const l2 = new nn.Linear(8, 4, { seed: 2 });
    const labels = tensor(Int32Array.from([0, 3, 1]), [3], { dtype: 'int32' });
    const teacher = tensor(uniformInputs(5, 12, -2, 2), [3, 4]);
    const w1 = (await l1.weight.data()) as Float32Array;
    const w2 = (await l2.weight.data()) as Float32Array;
    await gradcheck(
      'mlp',
      ([x, a, b]) => losses.hintonLoss(kd.linear(kd.relu(kd.linear(x, a, l1.bias!.detach())), b, l2.bias!.detach()), teacher, labels, { temperature: 2, alpha: 0.5 }),
      [{ data: uniformInputs(6, 15, -1, 1), shape: [3, 5] }, { data: w1, shape: [8, 5] }, { data: w2, shape: [4, 8] }],
      { directions: 4 },
    );
  });

  it('backward() of a non-scalar needs a gradient', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(RangeError);
  });

  it('dispose() frees storage; using a disposed tensor is a clear error', () => {
    const x = tensor([1, 2], [2]);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(() => x.add(1)).toThrow(/disposed/);
  });
});
