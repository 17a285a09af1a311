/**
 * fakeQuantize (torch.fake_quantize_per_tensor_affine) on every backend, against PyTorch
 * (test/fixtures/fake_quantize.json): the values to the bit (round half to even, PyTorch's float32
 * reciprocal), the straight-through gradient mask, NaN and infinities (our convention where PyTorch's
 * int64 cast is undefined; see the generator), and argument errors.
 */
import { expect, it } from 'vitest';
import { fakeQuantize, tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { loadFixtures, materialise, num, type Num, type Recipe } from '../harness/fixtures.js';
import { uniformInputs } from '../harness/inputs.js';

interface FqCase {
  name: string;
  inputs: { x: Recipe };
  options: { scale: number; zeroPoint: number; qmin: number; qmax: number };
  y: Num[];
  mask: number[];
}

/** Bit-exact comparison, NaN equal to NaN, -0 equal to 0; the first few mismatches in the message. */
function expectSame(got: Float32Array, want: number[], what: string): void {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const ok = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : got[i] === want[i];
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${got[i]}, expected ${want[i]}`);
  }
  expect(bad, what).toEqual([]);
  expect(got.length, what).toBe(want.length);
}

describeEachBackend('fakeQuantize', () => {
  for (const c of loadFixtures('fake_quantize.json') as unknown as FqCase[]) {
    it(`matches PyTorch to the bit, with the straight-through mask: ${c.name}`, async () => {
      const xv = materialise(c.inputs.x);
      const x = tensor(xv, [xv.length], { requiresGrad: true });
      const { scale, ...opts } = c.options;
      const y = x.fakeQuantize(scale, opts);
      expectSame((await y.data()) as Float32Array, c.y.map((v) => Math.fround(num(v))), 'y');
      // The gradient of sum(g * y) is g * mask (exactly: a product by 1 or 0).
      const g = uniformInputs(77, xv.length, -2, 2);
      y.mul(tensor(g, [xv.length])).sum().backward();
      expectSame((await x.grad!.data()) as Float32Array, c.mask.map((m, i) => m * g[i]), 'grad');
    });
  }

  it('defaults to int8 (qmin -128, qmax 127, zero point 0); a function and a method; shape kept', async () => {
    const x = tensor([[0.25, -0.75, 40], [-40, 0.125, 1.25]]);
    const y = fakeQuantize(x, 0.25);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(await y.data())).toEqual([0.25, -0.75, 31.75, -32, 0, 1.25]);
    expect(Array.from(await x.fakeQuantize(0.25).data())).toEqual(Array.from(await y.data()));
  });

  it('refuses wrong scales, ranges and options, naming the argument', () => {
    const x = tensor([1, 2, 3]);
    expect(() => fakeQuantize(x, 0)).toThrow(/scale must be > 0/);
    expect(() => fakeQuantize(x, Number.NaN)).toThrow(/scale must be finite/);
    expect(() => fakeQuantize(x, 1e-40)).toThrow(/scale must be a normal float32/);
    expect(() => fakeQuantize(x, 1e38)).toThrow(/scale must be <= 2\^126/);
    expect(() => fakeQuantize(x, '1' as never)).toThrow(TypeError);
    expect(() => fakeQuantize(x, 1, { qmin: 5, qmax: 4 })).toThrow(/qmax must be >= 5/);
    expect(() => fakeQuantize(x, 1, { qmin: 0, qmax: 255, zeroPoint: 256 })).toThrow(/zeroPoint must be <= 255/);
    expect(() => fakeQuantize(x, 1, { qmin: -0.5 })).toThrow(/qmin must be an integer/);
    expect(() => fakeQuantize(x, 1, { qmax: 2 ** 23 })).toThrow(/qmax must be <= 4194304/);
    expect(() => fakeQuantize(x, 1, { zero: 1 } as never)).toThrow(/unknown option 'zero'/);
    expect(() => fakeQuantize(tensor(Int32Array.from([1]), [1], { dtype: 'int32' }) as never, 1)).toThrow(/x/);
  });
});
