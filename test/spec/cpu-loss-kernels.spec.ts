/**
 * Kernel-level contract of the reference `cpu` loss kernels that the public-API specs cannot reach
 * (null gradient scales, the Hinton kernel as the sum of its two parts, the input generator matching
 * the Python fixture generator). The PyTorch fixtures themselves run through the public API on every
 * backend in kd_loss.spec.ts, cross_entropy.spec.ts, ... .
 */
import { describe, expect, it } from 'vitest';
import type { Divergence, Storage } from '../../src/backends/backend.js';
import { f32, wrap } from '../../src/backends/cpu/storage.js';
import { cpuBackend as cpu } from '../../src/backends/cpu/index.js';
import { uniformInputs } from '../harness/inputs.js';
import { expectArrayClose as close } from '../harness/fixtures.js';

const labelsOf = (y: number[]): Storage => wrap(Int32Array.from(y));
const data = (s: Storage | undefined): Float32Array => {
  expect(s).toBeDefined();
  return f32(s as Storage);
};
const expectArrayClose = (a: ArrayLike<number>, e: ArrayLike<number>, what: string) => close(a, e, what, { rtol: 1e-5, atolRel: 1e-6 });

// ---- edge cases the fixtures cannot express -------------------------------------------------------
describe('cpu loss kernels: edge cases', () => {
  it('uniformInputs matches the Python generator bit for bit', () => {
    expect(Array.from(uniformInputs(7, 5, -1e4, 1e4))).toEqual(
      [50.928592681884766, 3084.402099609375, 7168.32275390625, -5689.7509765625, 1382.7144775390625]);
    expect(Array.from(uniformInputs(999, 3, -1, 1))).toEqual(
      [-0.8571863174438477, -0.769852876663208, -0.4484471082687378]);
  });

  it('a fully masked teacher row gives loss 0 and zero gradients (every divergence)', () => {
    const cols = 6;
    const s = wrap(uniformInputs(1, 2 * cols, -3, 3));
    const tData = uniformInputs(2, 2 * cols, -3, 3);
    tData.fill(-Infinity, 0, cols); // row 0 fully masked
    const t = wrap(tData);
    for (const divergence of ['forward-kl', 'reverse-kl', 'jsd'] as Divergence[]) {
      const r = cpu.softmaxKL({
        student: s, teacher: t, rows: 2, cols, temperature: 2, divergence, beta: 0.5,
        studentGradScale: 1, teacherGradScale: 1,
      });
      expect(data(r.rowLoss)[0], divergence).toBe(0);
      expect(Number.isFinite(data(r.rowLoss)[1]), divergence).toBe(true);
      for (const g of [data(r.gradStudent), data(r.gradTeacher)]) {
        expect(Array.from(g.subarray(0, cols)).every((v) => v === 0), divergence).toBe(true);
        expect(g.every((v) => Number.isFinite(v)), divergence).toBe(true);
      }
    }
    const mt = cpu.multiTeacherKL({
      student: s, teachers: [t, t], weights: [0.5, 0.5], rows: 2, cols, temperature: 2,
      studentGradScale: 1, teacherGradScales: [1, 1],
    });
    expect(data(mt.rowLoss)[0]).toBe(0);
    expect(Array.from(data(mt.gradStudent).subarray(0, cols)).every((v) => v === 0)).toBe(true);
    const h = cpu.hinton({
      student: s, teacher: t, labels: labelsOf([1, 2]), rows: 2, cols, temperature: 2,
      labelSmoothing: 0, ignoreIndex: -100, weight: null, softGradScale: 1, hardGradScale: 0,
    });
    expect(data(h.softRow)[0]).toBe(0);
    expect(Array.from(data(h.grad).subarray(0, cols)).every((v) => v === 0)).toBe(true);
  });

  it('null grad scales return no gradients', () => {
    const s = wrap(uniformInputs(1, 12, -3, 3));
    const t = wrap(uniformInputs(2, 12, -3, 3));
    const r = cpu.softmaxKL({
      student: s, teacher: t, rows: 3, cols: 4, temperature: 1, divergence: 'forward-kl', beta: 0.5,
      studentGradScale: null, teacherGradScale: null,
    });
    expect(r.gradStudent).toBeUndefined();
    expect(r.gradTeacher).toBeUndefined();
    const ce = cpu.crossEntropy({
      logits: s, labels: labelsOf([0, 1, 2]), rows: 3, cols: 4, labelSmoothing: 0, ignoreIndex: -100,
      weight: null, gradScale: null,
    });
    expect(ce.grad).toBeUndefined();
    const h = cpu.hinton({
      student: s, teacher: t, labels: labelsOf([0, 1, 2]), rows: 3, cols: 4, temperature: 1,
      labelSmoothing: 0, ignoreIndex: -100, weight: null, softGradScale: null, hardGradScale: null,
    });
    expect(h.grad).toBeUndefined();
    const m = cpu.mse({ a: s, b: t, size: 12, aGradScale: null, bGradScale: 2 });
    expect(m.gradA).toBeUndefined();
    expect(m.gradB).toBeDefined();
  });

  it('hinton grad = softScale * softmaxKL grad + hardScale * crossEntropy grad (the ignored row masked in both)', () => {
    const rows = 3;
    const cols = 7;
    const s = wrap(uniformInputs(3, rows * cols, -4, 4));
    const t = wrap(uniformInputs(4, rows * cols, -4, 4));
    const labels = labelsOf([2, -100, 6]);
    const h = cpu.hinton({
      student: s, teacher: t, labels, rows, cols, temperature: 3, labelSmoothing: 0.2, ignoreIndex: -100,
      weight: null, softGradScale: 0.3, hardGradScale: 0.05,
    });
    const kl = cpu.softmaxKL({
      student: s, teacher: t, rows, cols, temperature: 3, divergence: 'forward-kl', beta: 0,
      studentGradScale: 0.3, teacherGradScale: null, rowMask: { labels, ignoreIndex: -100 },
    });
    const ce = cpu.crossEntropy({
      logits: s, labels, rows, cols, labelSmoothing: 0.2, ignoreIndex: -100, weight: null, gradScale: 0.05,
    });
    const expected = Array.from(data(kl.gradStudent), (v, i) => v + data(ce.grad)[i]);
    expectArrayClose(data(h.grad), expected, 'hinton grad');
    expect(Array.from(data(h.softRow))).toEqual(Array.from(data(kl.rowLoss)));
    expect(Array.from(data(h.hardRow))).toEqual(Array.from(data(ce.rowLoss)));
  });
});
