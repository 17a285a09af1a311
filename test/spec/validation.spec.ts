/** Bad input: a TypeError or RangeError that names the argument and what was expected. */
import { describe, expect, it } from 'vitest';
import { losses, matmul, tensor, add, conv2d, optim, nn } from '../../src/index.js';
import { available } from '../harness/backends.js';

const s = () => tensor(new Float32Array(6), [2, 3], { backend: 'cpu', requiresGrad: true });
const t = () => tensor(new Float32Array(6), [2, 3], { backend: 'cpu' });
const y = (v: number[]) => tensor(Int32Array.from(v), [v.length], { dtype: 'int32', backend: 'cpu' });

describe('validation', () => {
  it('wrong shapes name the argument and the expected shape', () => {
    expect(() => losses.kdLoss(s(), tensor(new Float32Array(8), [2, 4], { backend: 'cpu' }))).toThrow(/teacher must have the shape of student \[2, 3\], got \[2, 4\]/);
    expect(() => losses.kdLoss(tensor(new Float32Array(6), [6], { backend: 'cpu' }), t())).toThrow(RangeError);
    expect(() => losses.crossEntropy(s(), y([0, 1, 2]))).toThrow(/labels must have shape \[2\]/);
    expect(() => losses.similarityLoss(s(), tensor(new Float32Array(9), [3, 3], { backend: 'cpu' }))).toThrow(/batch size/);
    expect(() => losses.hintLoss(s(), tensor(new Float32Array(4), [2, 2], { backend: 'cpu' }))).toThrow(RangeError);
    expect(() => matmul(s(), t())).toThrow(/matmul: b must have shape \[3, n\]/);
    expect(() => add(s(), tensor(new Float32Array(2), [2], { backend: 'cpu' }))).toThrow(/do not broadcast/);
    expect(() => conv2d(tensor(new Float32Array(16), [1, 1, 4, 4], { backend: 'cpu' }), tensor(new Float32Array(18), [1, 2, 3, 3], { backend: 'cpu' }))).toThrow(/weight must have shape/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/3 elements but shape \[2, 2\] needs 4/);
  });

  it('wrong dtype or kind of argument is a TypeError', () => {
    expect(() => losses.crossEntropy(s(), tensor([0, 1], [2], { backend: 'cpu' }))).toThrow(/labels must have dtype 'int32'/);
    expect(() => losses.kdLoss(s(), [[1, 2, 3]] as never)).toThrow(TypeError);
    expect(() => losses.kdLoss(y([1, 2]) as never, t())).toThrow(/student must have dtype 'float32'/);
    expect(() => losses.kdLoss(s(), t(), { temprature: 2 } as never)).toThrow(/unknown option 'temprature'/);
    expect(() => tensor('abc' as never)).toThrow(TypeError);
  });

  it('labels outside [0, C) other than ignoreIndex are a RangeError', () => {
    expect(() => losses.crossEntropy(s(), y([0, 3]))).toThrow(/labels\[1\] = 3 is outside \[0, 3\)/);
    expect(() => losses.crossEntropy(s(), y([-1, 0]))).toThrow(RangeError);
    expect(() => losses.crossEntropy(s(), y([-1, 0]), { ignoreIndex: -1 })).not.toThrow();
    expect(() => losses.hintonLoss(s(), t(), y([0, 7]))).toThrow(/labels\[1\] = 7/);
  });

  it('temperature not finite or <= 0 is a RangeError', () => {
    for (const temperature of [0, -1, NaN, Infinity]) {
      expect(() => losses.kdLoss(s(), t(), { temperature })).toThrow(/temperature must be/);
      expect(() => losses.hintonLoss(s(), t(), y([0, 1]), { temperature })).toThrow(/temperature/);
      expect(() => losses.multiTeacherKdLoss(s(), [t()], { temperature })).toThrow(/temperature/);
    }
  });

  it('alpha, beta and labelSmoothing outside [0, 1] are RangeErrors', () => {
    expect(() => losses.hintonLoss(s(), t(), y([0, 1]), { alpha: 1.5 })).toThrow(/alpha must be <= 1/);
    expect(() => losses.hintonLoss(s(), t(), y([0, 1]), { alpha: -0.1 })).toThrow(/alpha must be >= 0/);
    expect(() => losses.kdLoss(s(), t(), { divergence: 'jsd', beta: 2 })).toThrow(/beta must be <= 1/);
    expect(() => losses.crossEntropy(s(), y([0, 1]), { labelSmoothing: -0.5 })).toThrow(/labelSmoothing/);
    expect(() => losses.kdLoss(s(), t(), { divergence: 'kl' as never })).toThrow(/divergence must be one of/);
    expect(() => losses.kdLoss(s(), t(), { reduction: 'avg' as never })).toThrow(/reduction must be one of/);
  });

  it('teacher weights of the wrong length or not summing to 1 are RangeErrors', () => {
    expect(() => losses.multiTeacherKdLoss(s(), [t(), t()], { weights: [1] })).toThrow(/weights must have 2 entries/);
    expect(() => losses.multiTeacherKdLoss(s(), [t(), t()], { weights: [0.5, 0.6] })).toThrow(/weights must sum to 1/);
    expect(() => losses.multiTeacherKdLoss(s(), [t(), t()], { weights: [1.5, -0.5] })).toThrow(/weights\[1\] must be >= 0/);
    expect(() => losses.multiTeacherKdLoss(s(), [])).toThrow(TypeError);
    expect(() => losses.crossEntropy(s(), y([0, 1]), { weight: [1, 2] })).toThrow(/weight must have 3 entries/);
  });

  it('optimisers and layers reject bad hyper-parameters', () => {
    const p = tensor([1, 2], [2], { requiresGrad: true, backend: 'cpu' });
    expect(() => new optim.SGD([p], { lr: -1 })).toThrow(/lr must be >= 0/);
    expect(() => new optim.Adam([p], { betas: [1, 0.9] })).toThrow(/betas/);
    expect(() => new optim.SGD([tensor([1], [1], { backend: 'cpu' })], { lr: 0.1 })).toThrow(/does not require grad/);
    expect(() => new nn.Linear(0, 3)).toThrow(/inFeatures must be >= 1/);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/groups/);
  });

  if (available.native) console.log(`[skip] mixing native and cpu tensors: ${available.native}`);
  if (available.webgpu) console.log(`[skip] mixing webgpu and cpu tensors: ${available.webgpu}`);

  it.skipIf(available.native !== null)('mixing tensors of two backends is a TypeError naming both', () => {
    const a = tensor(new Float32Array(6), [2, 3], { backend: 'native' });
    expect(() => losses.kdLoss(a, t())).toThrow(/teacher lives on backend 'cpu' but student on 'native'/);
    expect(() => add(a, t())).toThrow(TypeError);
  });

  it('mixing backends is caught with webgpu too', { skip: available.webgpu !== null }, () => {
    const a = tensor(new Float32Array(6), [2, 3], { backend: 'webgpu' });
    expect(() => losses.kdLoss(a, t())).toThrow(/lives on backend/);
  });
});
