/**
 * Self-check of the reference `cpu` fused loss kernels against the PyTorch golden fixtures in
 * test/fixtures/*.json (schema: test/fixtures/gen_fixtures.py). The kernels are called directly
 * (no Tensor facade); the reductions are applied here with PyTorch's semantics, so the
 * fixtures also pin down the grad scales the reduction layer has to pass.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Divergence, Storage } from '../../src/backends/backend.js';
import { f32, wrap } from '../../src/backends/cpu/storage.js';
import { cpuBackend } from '../../src/backends/cpu/index.js';
import { uniformInputs } from '../harness/inputs.js';

const cpu = cpuBackend;

// ---- fixture types and loading ------------------------------------------------------------------
interface Recipe { seed: number; n: number; lo: number; hi: number; masked?: number[] }
type Num = number | 'Infinity' | '-Infinity';
type Grad =
  | { full: Num[] }
  | { n: number; sampleIdx: number[]; sampleVals: Num[]; sum: Num; absSum: Num; dotWithProbe: Num };
interface Case {
  name: string;
  kernel: string;
  shape: Record<string, number>;
  inputs: Record<string, any>;
  options: Record<string, any>;
  loss: Num | Num[];
  parts?: { soft: Num; hard: Num };
  grads: Record<string, any>;
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
function load(file: string): Case[] {
  return (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { cases: Case[] }).cases;
}

/** Regenerates a float32 input from its recipe; masked indices become -Infinity. */
function materialise(r: Recipe): Float32Array {
  const x = uniformInputs(r.seed, r.n, r.lo, r.hi);
  for (const i of r.masked ?? []) x[i] = -Infinity;
  return x;
}
const input = (r: Recipe): Storage => wrap(materialise(r));
const labelsOf = (y: number[]): Storage => wrap(Int32Array.from(y));
const num = (v: Num): number => Number(v);
const data = (s: Storage | undefined): Float32Array => {
  expect(s).toBeDefined();
  return f32(s as Storage);
};
const sum = (x: ArrayLike<number>): number => {
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += x[i];
  return acc;
};

// ---- comparisons -----------------------------------------------------------------------------
const RTOL = 1e-4;
const ATOL_REL = 1e-5; // absolute tolerance, relative to the largest |expected| value

function expectClose(actual: number, expected: number, what: string, atol = 1e-7): void {
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const err = Math.abs(actual - expected);
  expect(err <= RTOL * Math.abs(expected) + atol, `${what}: got ${actual}, expected ${expected}`).toBe(true);
}

function expectArrayClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let maxAbs = 0;
  for (const v of expected) maxAbs = Math.max(maxAbs, Math.abs(v));
  const atol = ATOL_REL * maxAbs + 1e-12;
  for (let i = 0; i < expected.length; i++) {
    expect(Number.isNaN(actual[i]), `${what}[${i}] is NaN`).toBe(false);
    expectClose(actual[i], expected[i], `${what}[${i}]`, atol);
  }
}

function expectGrad(actual: Float32Array | undefined, g: Grad, what: string): void {
  expect(actual, `${what} returned`).toBeDefined();
  const a = actual as Float32Array;
  if ('full' in g) {
    expectArrayClose(a, g.full.map(num), what);
    return;
  }
  expect(a.length, `${what} length`).toBe(g.n);
  expectArrayClose(g.sampleIdx.map((i) => a[i]), g.sampleVals.map(num), `${what} samples`);
  const probe = uniformInputs(999, g.n, -1, 1);
  let s = 0;
  let abs = 0;
  let dot = 0;
  for (let i = 0; i < g.n; i++) {
    s += a[i];
    abs += Math.abs(a[i]);
    dot += a[i] * probe[i];
  }
  const absSum = num(g.absSum);
  expectClose(abs, absSum, `${what} absSum`);
  // float32 rounding of each element moves these by at most ~6e-8 * absSum.
  expectClose(s, num(g.sum), `${what} sum`, 1e-5 * absSum);
  expectClose(dot, num(g.dotWithProbe), `${what} dotWithProbe`, 1e-5 * absSum);
}

/** Scale of a KL reduction (torch kl_div semantics; 'none' checks d(sum rows)). */
function klScale(reduction: string, rows: number, cols: number): number {
  return reduction === 'batchmean' ? 1 / rows : reduction === 'mean' ? 1 / (rows * cols) : 1;
}

/** CE 'mean' denominator: sum of w[y_i] (or the count) over non-ignored rows, as PyTorch. */
function ceDenominator(labels: number[], ignoreIndex: number, weight: Float32Array | null): number {
  let den = 0;
  for (const y of labels) if (y !== ignoreIndex) den += weight ? weight[y] : 1;
  return den;
}

// ---- the fixtures ------------------------------------------------------------------------------
describe('cpu softmaxKL vs PyTorch', () => {
  for (const c of load('softmax_kl.json')) {
    it(c.name, () => {
      const { rows, cols } = c.shape;
      const { temperature, divergence, beta, reduction } = c.options;
      const scale = klScale(reduction, rows, cols);
      const r = cpu.softmaxKL({
        student: input(c.inputs.student), teacher: input(c.inputs.teacher), rows, cols,
        temperature, divergence: divergence as Divergence, beta,
        studentGradScale: scale, teacherGradScale: c.grads.teacher ? scale : null,
      });
      const rowLoss = data(r.rowLoss);
      if (reduction === 'none') expectArrayClose(rowLoss, (c.loss as Num[]).map(num), 'rowLoss');
      else expectClose(sum(rowLoss) * scale, num(c.loss as Num), 'loss');
      expectGrad(r.gradStudent && f32(r.gradStudent), c.grads.student, 'gradStudent');
      if (c.grads.teacher) expectGrad(r.gradTeacher && f32(r.gradTeacher), c.grads.teacher, 'gradTeacher');
      else expect(r.gradTeacher).toBeUndefined();
    });
  }
});

describe('cpu crossEntropy vs PyTorch', () => {
  for (const c of load('cross_entropy.json')) {
    it(c.name, () => {
      const { rows, cols } = c.shape;
      const { labelSmoothing, ignoreIndex, reduction } = c.options;
      const weight = c.inputs.weight ? materialise(c.inputs.weight) : null;
      const labels = c.inputs.labels as number[];
      const scale = reduction === 'mean' ? 1 / ceDenominator(labels, ignoreIndex, weight) : 1;
      const r = cpu.crossEntropy({
        logits: input(c.inputs.logits), labels: labelsOf(labels), rows, cols,
        labelSmoothing, ignoreIndex, weight: weight && wrap(weight), gradScale: scale,
      });
      const rowLoss = data(r.rowLoss);
      if (reduction === 'none') expectArrayClose(rowLoss, (c.loss as Num[]).map(num), 'rowLoss');
      else expectClose(sum(rowLoss) * scale, num(c.loss as Num), 'loss');
      labels.forEach((y, i) => { if (y === ignoreIndex) expect(rowLoss[i]).toBe(0); });
      expectGrad(r.grad && f32(r.grad), c.grads.logits, 'grad');
    });
  }
});

describe('cpu hinton vs PyTorch', () => {
  for (const c of load('hinton.json')) {
    it(c.name, () => {
      const { rows, cols } = c.shape;
      const { temperature, alpha, labelSmoothing, ignoreIndex } = c.options;
      const weight = c.inputs.weight ? materialise(c.inputs.weight) : null;
      const labels = c.inputs.labels as number[];
      const den = ceDenominator(labels, ignoreIndex, weight);
      const r = cpu.hinton({
        student: input(c.inputs.student), teacher: input(c.inputs.teacher), labels: labelsOf(labels),
        rows, cols, temperature, labelSmoothing, ignoreIndex, weight: weight && wrap(weight),
        softGradScale: alpha / rows, hardGradScale: (1 - alpha) / den,
      });
      const soft = sum(data(r.softRow)) / rows;
      const hard = sum(data(r.hardRow)) / den;
      expectClose(soft, num(c.parts!.soft), 'soft');
      expectClose(hard, num(c.parts!.hard), 'hard');
      expectClose(alpha * soft + (1 - alpha) * hard, num(c.loss as Num), 'loss');
      expectGrad(r.grad && f32(r.grad), c.grads.student, 'grad');
    });
  }
});

describe('cpu multiTeacherKL vs PyTorch', () => {
  for (const c of load('multi_teacher.json')) {
    it(c.name, () => {
      const { rows, cols } = c.shape;
      const { temperature, weights } = c.options;
      const teachers = (c.inputs.teachers as Recipe[]).map(input);
      const r = cpu.multiTeacherKL({
        student: input(c.inputs.student), teachers, weights, rows, cols, temperature,
        studentGradScale: 1 / rows, teacherGradScales: teachers.map(() => 1 / rows),
      });
      expectClose(sum(data(r.rowLoss)) / rows, num(c.loss as Num), 'loss');
      expectGrad(r.gradStudent && f32(r.gradStudent), c.grads.student, 'gradStudent');
      (c.grads.teachers as Grad[]).forEach((g, k) => {
        const gk = r.gradTeachers?.[k];
        expectGrad(gk && f32(gk), g, `gradTeachers[${k}]`);
      });
    });
  }
});

describe('cpu gramSimilarity vs PyTorch', () => {
  for (const c of load('gram.json')) {
    it(c.name, () => {
      const { b, ds, dt } = c.shape;
      const r = cpu.gramSimilarity({
        student: input(c.inputs.student), teacher: input(c.inputs.teacher), b, ds, dt,
        studentGradScale: 1, teacherGradScale: 1,
      });
      expectClose(data(r.loss)[0], num(c.loss as Num), 'loss');
      expectGrad(r.gradStudent && f32(r.gradStudent), c.grads.student, 'gradStudent');
      expectGrad(r.gradTeacher && f32(r.gradTeacher), c.grads.teacher, 'gradTeacher');
    });
  }
});

describe('cpu mse vs PyTorch', () => {
  for (const c of load('mse.json')) {
    it(c.name, () => {
      const { size } = c.shape;
      const r = cpu.mse({ a: input(c.inputs.a), b: input(c.inputs.b), size, aGradScale: 1 / size, bGradScale: 1 / size });
      expectClose(data(r.sumSq)[0] / size, num(c.loss as Num), 'loss');
      expectGrad(r.gradA && f32(r.gradA), c.grads.a, 'gradA');
      expectGrad(r.gradB && f32(r.gradB), c.grads.b, 'gradB');
    });
  }
});

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

  it('hinton grad = softScale * softmaxKL grad + hardScale * crossEntropy grad', () => {
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
      studentGradScale: 0.3, teacherGradScale: null,
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
