/**
 * Finite-difference gradient check along random directions: for inputs x_k and a random sign
 * vector d_k per input, compare sum_k <dL/dx_k, d_k> from backward() with
 * (L(x + eps d) - L(x - eps d)) / (2 eps). Non-scalar outputs are reduced with fixed random
 * weights first. Inputs are snapped to multiples of 2^-10 so x +- eps (eps = 2^-8) is exact in
 * float32; entries that are -Infinity (masked logits) are not perturbed.
 */
import { expect } from 'vitest';
import { Tensor, noGrad, tensor } from '../../src/index.js';
import { uniformInputs } from './inputs.js';

export interface GradcheckInput {
  data: Float32Array | Int32Array;
  shape: number[];
  /** Default true. */
  requiresGrad?: boolean;
  dtype?: 'float32' | 'int32';
}

export async function gradcheck(
  name: string,
  f: (xs: Tensor[]) => Tensor,
  inputs: GradcheckInput[],
  opts: { eps?: number; rtol?: number; atol?: number; directions?: number; seed?: number } = {},
): Promise<void> {
  const eps = opts.eps ?? 2 ** -8;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const seed = opts.seed ?? 1;
  const snapped = inputs.map((x) =>
    x.dtype === 'int32' ? x.data : x.data.map((v) => (Number.isFinite(v) ? Math.round(v * 1024) / 1024 : v)),
  );
  const make = (vals: (Float32Array | Int32Array)[], grad: boolean) =>
    inputs.map((x, k) =>
      x.dtype === 'int32'
        ? tensor(Int32Array.from(vals[k]), x.shape, { dtype: 'int32' })
        : tensor(Float32Array.from(vals[k]), x.shape, { requiresGrad: grad && x.requiresGrad !== false }),
    );
  let weights: Float32Array | null = null;
  const scalar = (y: Tensor): Tensor => {
    if (y.size === 1) return y;
    weights ??= uniformInputs(seed + 77, y.size, -1, 1);
    return y.mul(tensor(weights, [...y.shape])).sum();
  };
  const xs = make(snapped, true);
  scalar(f(xs)).backward();
  const grads = await Promise.all(xs.map(async (x) => (x.grad ? ((await x.grad.data()) as Float32Array) : null)));
  for (let dir = 0; dir < (opts.directions ?? 3); dir++) {
    const ds = inputs.map((x, k) => {
      if (x.dtype === 'int32' || x.requiresGrad === false) return null;
      const u = uniformInputs(seed * 1000 + dir * 17 + k, x.data.length, -1, 1);
      return u.map((v, i) => (Number.isFinite(snapped[k][i]) ? (v < 0 ? -1 : 1) : 0));
    });
    let analytic = 0;
    ds.forEach((d, k) => {
      if (!d) return;
      const g = grads[k];
      expect(g, `${name}: input ${k} got no gradient`).toBeTruthy();
      for (let i = 0; i < d.length; i++) if (d[i]) analytic += g![i] * d[i];
    });
    const shifted = (sign: number) => snapped.map((x, k) => (ds[k] ? (x as Float32Array).map((v, i) => v + sign * eps * ds[k]![i]) : x));
    const evalAt = async (vals: (Float32Array | Int32Array)[]) => {
      const y = noGrad(() => scalar(f(make(vals, false))));
      return (await y.data())[0];
    };
    const fd = ((await evalAt(shifted(1))) - (await evalAt(shifted(-1)))) / (2 * eps);
    const err = Math.abs(fd - analytic);
    const bound = rtol * Math.max(Math.abs(fd), Math.abs(analytic)) + atol;
    expect(err <= bound, `${name}: direction ${dir}: backward gives ${analytic}, finite differences ${fd}`).toBe(true);
  }
}
