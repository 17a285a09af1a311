/**
 * The fused loss shaders on webgpu against the cpu backend, on both reduction paths (subgroups,
 * where the adapter offers them, and the shared-memory fallback), on rows that take one workgroup
 * and on few wide rows split over several (rowSplits): random logits, +-1e4, +-3e38, masked
 * teacher classes; and PyTorch's non-finite policy (NaN / +Infinity in a row: that row's loss NaN,
 * its gradients non-finite, other rows untouched). Skipped with a printed reason without an adapter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Divergence, Storage } from '../../src/backends/backend.js';
import { cpuBackend } from '../../src/backends/cpu/index.js';
import { createWebGPUBackend, type WebGPUBackend } from '../../src/backends/webgpu/index.js';
import { rowSplits } from '../../src/backends/webgpu/softmax_kl.js';
import { compare, extreme, flatten, masked, randn, same, TOL, type Out } from '../harness/gpu-compare.js';

const variants: [string, WebGPUBackend][] = [];
let reason = '';
try {
  variants.push(['default', await createWebGPUBackend()]);
  variants.push(['no subgroups', await createWebGPUBackend({ subgroups: false })]);
} catch (e) {
  reason = (e as Error).message;
}
const required = process.env.KD_REQUIRE_WEBGPU === '1';
if (!variants.length && !required) console.log(`[skip] webgpu losses: ${reason}`);
if (variants.length && !variants[0][1].subgroups) {
  console.log('[note] this adapter offers no subgroups: both variants run the shared-memory reductions');
}
const d = variants.length || required ? describe : describe.skip;

/** Every loss kernel on one input set; `t2`/`t3` are extra teachers for multiTeacherKL. */
function allLosses(
  b: Backend, up: (a: Float32Array | Int32Array) => Storage, rows: number, cols: number,
  s: Float32Array, t: Float32Array, T: number, divergences: Divergence[] = ['forward-kl', 'reverse-kl', 'jsd'],
): Out {
  const y = Int32Array.from({ length: rows }, (_, i) => (i % 4 === 3 ? -100 : (i * 7919 + 3) % cols));
  const out: Record<string, Out> = {};
  for (const divergence of divergences) {
    out[divergence] = b.softmaxKL({
      student: up(s), teacher: up(t), rows, cols, temperature: T, divergence, beta: 0.3,
      studentGradScale: 1 / rows, teacherGradScale: 0.5,
    }) as unknown as Out;
  }
  out.ce = b.crossEntropy({
    logits: up(s), labels: up(y), rows, cols, labelSmoothing: 0.1, ignoreIndex: -100, weight: null, gradScale: 0.25,
  }) as unknown as Out;
  out.hinton = b.hinton({
    student: up(s), teacher: up(t), labels: up(y), rows, cols, temperature: T, labelSmoothing: 0.1,
    ignoreIndex: -100, weight: null, softGradScale: 0.9 / rows, hardGradScale: 0.1 / rows,
  }) as unknown as Out;
  out.multi = b.multiTeacherKL({
    student: up(s), teachers: [up(t), up(s.map((_, i) => 2 * Math.sin(i)))], weights: [0.7, 0.3], rows, cols, temperature: T,
    studentGradScale: 1 / rows, teacherGradScales: [1, 0.5],
  }) as unknown as Out;
  return out;
}

d('webgpu fused losses', () => {
  afterAll(() => { for (const [, g] of variants) g.destroy(); });

  it('the no-subgroups variant does not use subgroups', () => {
    if (!variants.length) throw new Error(`KD_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${reason}`);
    expect(variants[1][1].subgroups).toBe(false);
  });

  const shapes: [number, number][] = [[5, 1], [5, 1000], [2, 20000]];
  it('splits few wide rows and keeps many rows whole', () => {
    expect(rowSplits(2, 20000)).toBeGreaterThan(1);
    expect(rowSplits(64, 128000)).toBeGreaterThan(1);
    expect(rowSplits(5, 1000)).toBe(1);
    expect(rowSplits(8192, 32000)).toBe(1);
  });

  for (const [name, gpu] of variants) {
    for (const [rows, cols] of shapes) {
      it(`${name}: every loss matches cpu, ${rows}x${cols}, random / +-1e4 / masked`, async () => {
        const s = randn(rows * cols, 4);
        const t = randn(rows * cols, 4);
        for (const [ss, tt, T] of [[s, t, 2], [extreme(s), extreme(t), 0.5], [s, masked(t, rows, cols), 1]] as [Float32Array, Float32Array, number][]) {
          await same(cpuBackend, gpu, (b, up) => allLosses(b, up, rows, cols, ss, tt, T));
        }
      });
    }

    it(`${name}: logits of +-3e38 at T = 1e-3, 0.5, 1e3 where the true value fits`, async () => {
      const rows = 2;
      const cols = 3;
      const s = Float32Array.from([3e38, -3e38, 0, -3e38, 3e38, 1]);
      const t = Float32Array.from([-3e38, 3e38, 0, 1, -3e38, 3e38]);
      for (const T of [1e-3, 0.5, 1e3]) {
        await same(cpuBackend, gpu, (b, up) => allLosses(b, up, rows, cols, s, t, T, ['forward-kl']));
      }
      // forward KL at T = 0.5 of one-hot rows 6e38 apart: T * 6e38 = 3e38, which fits in float32.
      const r = gpu.softmaxKL({
        student: gpu.upload(s.subarray(0, 2)), teacher: gpu.upload(t.subarray(0, 2)), rows: 1, cols: 2,
        temperature: 0.5, divergence: 'forward-kl', beta: 0.5, studentGradScale: null, teacherGradScale: null,
      });
      const loss = (await gpu.read(r.rowLoss))[0];
      expect(Math.abs(loss - 3e38) / 3e38).toBeLessThan(1e-5);
    });

    for (const cols of [1000, 20000]) {
      it(`${name}: NaN / +Infinity make only their own row NaN, C=${cols}`, async () => {
        const rows = 4;
        const s = randn(rows * cols, 3);
        const t = randn(rows * cols, 3);
        const bs = s.slice();
        const bt = t.slice();
        bs[Math.floor(cols / 2)] = NaN; // row 0: student NaN
        bt[cols + 3] = Infinity; // row 1: teacher +Infinity
        bt[2 * cols + cols - 1] = NaN; // row 2: teacher NaN
        bs[3 * cols] = -Infinity; // row 3: clean but for a student -Infinity where the teacher is masked
        bt[3 * cols] = -Infinity;
        const got = await flatten(gpu, allLosses(gpu, (a) => gpu.upload(a), rows, cols, bs, bt, 2));
        const want = await flatten(cpuBackend, allLosses(cpuBackend, (a) => cpuBackend.upload(a), rows, cols, bs, bt, 2));
        for (const [k, v] of Object.entries(got)) {
          const perRow = v.length === rows;
          // cross-entropy and the hard row of hinton read the student only
          const bad = k.startsWith('ce') || k.startsWith('hinton.hardRow') ? [0] : [0, 1, 2];
          for (let i = 0; i < rows; i++) {
            const row = perRow ? v.subarray(i, i + 1) : v.subarray(i * cols, (i + 1) * cols);
            const ref = perRow ? want[k].subarray(i, i + 1) : want[k].subarray(i * cols, (i + 1) * cols);
            if (bad.includes(i)) {
              if (perRow) expect(Number.isNaN(row[0]), `${k} row ${i}`).toBe(true);
              else expect(row.every((x) => !Number.isFinite(x)), `${k} row ${i} non-finite`).toBe(true);
            } else {
              compare(`${k} row ${i}`, row, ref, TOL);
            }
          }
        }
      });
    }

    it(`${name}: masked classes: both -Infinity is 0 log 0, a fully masked teacher row is 0`, async () => {
      const rows = 3;
      const cols = 9;
      const s = randn(rows * cols, 2);
      const t = randn(rows * cols, 2);
      for (const j of [1, 4]) { s[j] = -Infinity; t[j] = -Infinity; }
      t.fill(-Infinity, cols, 2 * cols);
      await same(cpuBackend, gpu, (b, up) => allLosses(b, up, rows, cols, s, t, 1.5));
      const r = await flatten(gpu, gpu.softmaxKL({
        student: gpu.upload(s), teacher: gpu.upload(t), rows, cols, temperature: 1, divergence: 'reverse-kl',
        beta: 0.5, studentGradScale: 1, teacherGradScale: 1,
      }) as unknown as Out);
      expect(Number.isFinite(r.rowLoss[0])).toBe(true);
      expect(r.gradTeacher[1]).toBe(0);
      expect(r.gradTeacher[4]).toBe(0);
    });
  }
});
