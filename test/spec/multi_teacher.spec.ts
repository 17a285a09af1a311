/** losses.multiTeacherKdLoss on every backend. */
import { expect, it } from 'vitest';
import { losses, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectClose, expectGrad, loadFixtures, materialise, num, type Num, type Recipe } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

describeEachBackend('multiTeacherKdLoss', ({ tol }) => {
  for (const c of loadFixtures('multi_teacher.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const { rows, cols } = c.shape;
      const { temperature, weights } = c.options;
      const s = tensor(materialise(c.inputs.student), [rows, cols], { requiresGrad: true });
      const ts = (c.inputs.teachers as Recipe[]).map((r) => tensor(materialise(r), [rows, cols], { requiresGrad: true }));
      const loss = losses.multiTeacherKdLoss(s, ts, { weights, temperature });
      expectClose((await loss.data())[0], num(c.loss as Num), 'loss', tol);
      loss.backward();
      expectGrad((await s.grad!.data()) as Float32Array, c.grads.student, 'student grad', tol);
      for (let k = 0; k < ts.length; k++) {
        expectGrad((await ts[k].grad!.data()) as Float32Array, c.grads.teachers[k], `teacher ${k} grad`, tol);
      }
    });
  }

  it('one teacher with weight 1 equals kdLoss', async () => {
    const sv = uniformInputs(61, 4 * 9, -3, 3);
    const tv = uniformInputs(62, 4 * 9, -3, 3);
    const a = await losses.multiTeacherKdLoss(tensor(sv, [4, 9]), [tensor(tv, [4, 9])], { temperature: 2 }).data();
    const b = await losses.kdLoss(tensor(sv, [4, 9]), tensor(tv, [4, 9]), { temperature: 2 }).data();
    expectClose(a[0], b[0], 'loss', tol);
  });

  it('gradcheck (student and both teachers)', async () => {
    await gradcheck('multiTeacher', ([s, t1, t2]) => losses.multiTeacherKdLoss(s, [t1, t2], { weights: [0.3, 0.7], temperature: 2 }), [
      { data: uniformInputs(71, 8, -2, 2), shape: [2, 4] },
      { data: uniformInputs(72, 8, -2, 2), shape: [2, 4] },
      { data: uniformInputs(73, 8, -2, 2), shape: [2, 4] },
    ]);
  });

  it('a class masked by every teacher contributes nothing', async () => {
    const tv1 = uniformInputs(81, 6, -1, 1);
    const tv2 = uniformInputs(82, 6, -1, 1);
    tv1[2] = tv2[2] = -Infinity;
    const s = tensor(uniformInputs(83, 6, -1, 1), [2, 3], { requiresGrad: true });
    const loss = losses.multiTeacherKdLoss(s, [tensor(tv1, [2, 3]), tensor(tv2, [2, 3])]);
    expect(Number.isFinite((await loss.data())[0])).toBe(true);
    loss.backward();
    expect(Array.from((await s.grad!.data()) as Float32Array).every(Number.isFinite)).toBe(true);
  });
});
