/** losses.fspLoss (Yim et al. 2017 FSP matrices) on every backend, against PyTorch (test/fixtures/fsp.json). */
import { expect, it } from 'vitest';
import { losses, tensor, type Tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectClose, expectGrad, loadFixtures, materialise, num, type Grad, type Num, type Recipe } from '../harness/fixtures.js';
import { gradcheck } from '../harness/gradcheck.js';
import { uniformInputs } from '../harness/inputs.js';

type Sides<T> = { student: [T, T][]; teacher: [T, T][] };
const map = <T, U>(p: [T, T][], f: (x: T, k: number, m: number) => U): [U, U][] =>
  p.map(([a, b], k) => [f(a, k, 0), f(b, k, 1)]);

describeEachBackend('fspLoss', ({ tol }) => {
  for (const c of loadFixtures('fsp.json')) {
    it(`matches PyTorch: ${c.name}`, async () => {
      const shape = c.shape as unknown as Sides<number[]>;
      const inputs = c.inputs as Sides<Recipe>;
      const make = (side: 'student' | 'teacher') =>
        map(inputs[side], (r, k, m) => tensor(materialise(r), shape[side][k][m], { requiresGrad: true }));
      const sp = make('student');
      const tp = make('teacher');
      const loss = losses.fspLoss(sp, tp, c.options);
      expectClose((await loss.data())[0], num(c.loss as Num), 'loss', tol);
      loss.backward();
      for (const [side, pairs] of [['student', sp], ['teacher', tp]] as const) {
        const grads = (c.grads as Sides<Grad>)[side];
        for (const [k, pair] of pairs.entries()) {
          for (const m of [0, 1]) {
            expectGrad((await pair[m].grad!.data()) as Float32Array, grads[k][m], `grad ${side}[${k}][${m}]`, tol);
          }
        }
      }
    });
  }

  it('fspMatrix is F1 F2^T / (h w) per sample', async () => {
    const f1 = tensor(Float32Array.from([1, 2, 3, 4, /* n1 */ 0, 1, 0, 1]), [2, 1, 2, 2]);
    const f2 = tensor(Float32Array.from([1, 1, 1, 1, 2, 0, 0, 0, /* n1 */ 5, 6, 7, 8, 1, 0, 0, 0]), [2, 2, 2, 2]);
    const g = losses.fspMatrix(f1, f2);
    expect(g.shape).toEqual([2, 1, 2]);
    expect(Array.from(await g.data())).toEqual([10 / 4, 2 / 4, 14 / 4, 0]);
  });

  it('gradcheck: two pairs, weights, gradients to student and teacher maps', async () => {
    const shapes = [[2, 2, 3, 3], [2, 3, 3, 3], [2, 3, 2, 2], [2, 2, 2, 2]];
    const data = (k: number, s: number[]) => ({ data: uniformInputs(200 + k, s.reduce((a, b) => a * b), -1, 1), shape: s });
    await gradcheck('fsp', ([a, b, c, d, e, f, g, h]) => losses.fspLoss([[a, b], [c, d]], [[e, f], [g, h]], { weights: [1, 0.5] }), [
      ...shapes.map((s, k) => data(k, s)),
      ...shapes.map((s, k) => data(10 + k, s)),
    ]);
  });

  it('an entry may be its precomputed FSP matrix', async () => {
    const m = (seed: number, c: number) => tensor(uniformInputs(seed, 3 * c * 5 * 5, -1, 1), [3, c, 5, 5], { requiresGrad: true });
    const [s1, s2, t1, t2] = [m(400, 2), m(401, 4), m(402, 2), m(403, 4)];
    const a = losses.fspLoss([[s1, s2]], [[t1, t2]]);
    a.backward();
    const g = Float32Array.from(await s1.grad!.data());
    const s1b = tensor(await s1.data(), s1.shape, { requiresGrad: true });
    const b = losses.fspLoss([[s1b, s2]], [losses.fspMatrix(t1, t2).detach()]);
    expect((await b.data())[0]).toBeCloseTo((await a.data())[0], 5);
    b.backward();
    expect(Array.from(await s1b.grad!.data())).toEqual(Array.from(g));
    expect(() => losses.fspLoss([[s1, s2]], [t1])).toThrow(/teacherPairs\[0\] must be 3-D/);
  });

  it('refuses wrong shapes, pairs and options, naming the argument', () => {
    const t = (...s: number[]) => tensor(new Float32Array(s.reduce((a, b) => a * b)), s);
    const ok: [Tensor, Tensor][] = [[t(2, 3, 4, 4), t(2, 5, 4, 4)]];
    expect(() => losses.fspLoss([[t(2, 3, 4, 4), t(2, 5, 4, 3)]], ok)).toThrow(/studentPairs\[0\]\[1\] must have the batch size and spatial size/);
    expect(() => losses.fspLoss(ok, [[t(3, 3, 4, 4), t(2, 5, 4, 4)]])).toThrow(RangeError);
    expect(() => losses.fspLoss(ok, [[t(2, 3, 8, 8), t(2, 4, 8, 8)]])).toThrow(/teacherPairs\[0\] must give FSP matrices of the student's shape/);
    expect(() => losses.fspLoss(ok, [[t(2, 3, 8, 8), t(2, 5, 8, 8)]])).not.toThrow();
    expect(() => losses.fspLoss([[t(2, 3, 16), t(2, 5, 4, 4)]], ok)).toThrow(/studentPairs\[0\]\[0\]/);
    expect(() => losses.fspLoss(ok, [])).toThrow(/teacherPairs must hold at least one pair/);
    expect(() => losses.fspLoss(ok, [...ok, ...ok])).toThrow(/teacherPairs must hold 1 pairs/);
    expect(() => losses.fspLoss(ok[0] as never, ok)).toThrow(/studentPairs\[0\] must be 3-D/);
    expect(() => losses.fspLoss([[ok[0][0]]] as never, ok)).toThrow(TypeError);
    expect(() => losses.fspLoss('x' as never, ok)).toThrow(/studentPairs must be an Array/);
    expect(() => losses.fspLoss(ok, ok, { weights: [1, 2] })).toThrow(/weights must have 1 entries/);
    expect(() => losses.fspLoss(ok, ok, { weights: [-1] })).toThrow(/weights\[0\] must be >= 0/);
    expect(() => losses.fspLoss(ok, ok, { reduction: 'none' as never })).toThrow(/reduction must be one of/);
    expect(() => losses.fspLoss(ok, ok, { lambda: 1 } as never)).toThrow(/unknown option 'lambda'/);
  });

  it('NaN in one map makes the loss NaN', async () => {
    const x = uniformInputs(300, 2 * 2 * 3 * 3, -1, 1);
    x[5] = NaN;
    const s1 = tensor(x, [2, 2, 3, 3], { requiresGrad: true });
    const s2 = tensor(uniformInputs(301, 2 * 2 * 3 * 3, -1, 1), [2, 2, 3, 3]);
    const t1 = tensor(uniformInputs(302, 2 * 2 * 3 * 3, -1, 1), [2, 2, 3, 3]);
    const loss = losses.fspLoss([[s1, s2]], [[t1, s2]]);
    expect(Number.isNaN((await loss.data())[0])).toBe(true);
  });
});
