/**
 * The raw layers' LLM kernels (kd-kernels/native and kd-kernels/webgpu on the caller's arrays and
 * buffers): the token mask of softmaxKL / multiTeacherKL and the chunked fusedLinearKdLoss, against
 * the Tensor API on the cpu reference backend. On webgpu the whole chunked loss is encoded into the
 * caller's encoder and runs on its one submit.
 */
import { describe, expect, it } from 'vitest';
import { losses, tensor, type Tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import { acquireDevice, createKernels } from '../../src/webgpu.js';
import { available, TOLERANCES } from '../harness/backends.js';
import { expectArrayClose } from '../harness/fixtures.js';
import { uniformInputs } from '../harness/inputs.js';

const [N, Hs, Ht, V] = [10, 5, 7, 19];
const hs = uniformInputs(101, N * Hs, -1, 1);
const ws = uniformInputs(102, V * Hs, -1, 1);
const bs = uniformInputs(103, V, -0.5, 0.5);
const ht = uniformInputs(104, N * Ht, -1, 1);
const wt = uniformInputs(105, V * Ht, -1, 1);
const labels = Int32Array.from({ length: N }, (_, i) => (i % 3 === 1 ? -100 : (i * 7) % V));
const opts = { temperature: 2, divergence: 'jsd', beta: 0.3 } as const;
const alpha = 0.6;
const valid = labels.filter((y) => y !== -100).length;

/** The reference on the cpu backend: loss and the three gradients through the Tensor API. */
function reference() {
  const cpu = { backend: 'cpu' } as const;
  const h = tensor(hs, [N, Hs], { ...cpu, requiresGrad: true });
  const w = tensor(ws, [V, Hs], { ...cpu, requiresGrad: true });
  const b = tensor(bs, [V], { ...cpu, requiresGrad: true });
  const loss = losses.fusedLinearKdLoss(h, w, tensor(ht, [N, Ht], cpu), tensor(wt, [V, Ht], cpu), {
    ...opts, studentBias: b, labels: tensor(labels, [N], { ...cpu, dtype: 'int32' }), alpha, reduction: 'sum',
  });
  loss.backward();
  const g = (t: Tensor) => t.grad!.dataSync() as Float32Array;
  return { loss: loss.dataSync()[0], gh: g(h), gw: g(w), gb: g(b) };
}

const raw = {
  studentHidden: hs, studentWeight: ws, studentBias: bs, teacherHidden: ht, teacherWeight: wt,
  rows: N, vocab: V, studentDim: Hs, teacherDim: Ht, ...opts, chunkSize: 4,
  softGradScale: alpha, hardGradScale: 1 - alpha,
};

(available.native ? describe.skip : describe)('kd-kernels/native: token masks and fusedLinearKdLoss', () => {
  const tol = TOLERANCES.native;

  it('softmaxKL and multiTeacherKL skip masked rows (loss 0, gradient rows 0) and match the Tensor API', () => {
    const s = uniformInputs(111, N * V, -3, 3);
    const t = uniformInputs(112, N * V, -3, 3);
    const gradStudent = new Float32Array(N * V).fill(7); // stale values: masked rows must be overwritten
    const r = native.softmaxKL({ student: s, teacher: t, rows: N, cols: V, ...opts, labels, gradStudent });
    const m = native.multiTeacherKL({ student: s, teachers: [t], rows: N, cols: V, temperature: 2, labels, gradStudent: new Float32Array(N * V) });
    const cpu = { backend: 'cpu' } as const;
    const y = tensor(labels, [N], { ...cpu, dtype: 'int32' });
    const st = tensor(s, [N, V], { ...cpu, requiresGrad: true });
    const ref = losses.kdLoss(st, tensor(t, [N, V], cpu), { ...opts, labels: y, reduction: 'none' });
    ref.sum().backward();
    expectArrayClose(r.rowLoss, ref.dataSync() as Float32Array, 'rowLoss', tol);
    expectArrayClose(r.gradStudent, st.grad!.dataSync() as Float32Array, 'gradStudent', tol);
    labels.forEach((yi, i) => {
      if (yi !== -100) return;
      expect(r.rowLoss[i]).toBe(0);
      expect(m.rowLoss[i]).toBe(0);
      expect(r.gradStudent.subarray(i * V, (i + 1) * V).every((g) => g === 0)).toBe(true);
      expect(m.gradStudent.subarray(i * V, (i + 1) * V).every((g) => g === 0)).toBe(true);
    });
  });

  it('fusedLinearKdLoss writes softRow / hardRow / gradHidden and adds into gradWeight / gradBias', () => {
    const ref = reference();
    const gradWeight = new Float32Array(V * Hs);
    const gradBias = new Float32Array(V);
    const r = native.fusedLinearKdLoss({
      ...raw, labels, hardRow: new Float32Array(N), gradHidden: new Float32Array(N * Hs), gradWeight, gradBias,
    });
    const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);
    expectArrayClose([alpha * sum(r.softRow) + (1 - alpha) * sum(r.hardRow!)], [ref.loss], 'loss', tol);
    expectArrayClose(r.gradHidden, ref.gh, 'gradHidden', tol);
    expectArrayClose(gradWeight, ref.gw, 'gradWeight', tol);
    expectArrayClose(gradBias, ref.gb, 'gradBias', tol);
    native.fusedLinearKdLoss({ ...raw, labels, hardRow: new Float32Array(N), gradWeight, gradBias });
    expectArrayClose(gradBias, ref.gb.map((g) => 2 * g), 'gradBias accumulated over two calls', tol);
    expect(() => native.fusedLinearKdLoss({ ...raw, hardRow: new Float32Array(N) })).toThrow(/'hardRow' .* needs 'labels'/);
    expect(() => native.fusedLinearKdLoss({ ...raw, vocab: V + 1 })).toThrow(/studentWeight' must have length/);
    expect(valid).toBeGreaterThan(0);
  });
});

const acquired = available.webgpu ? null : await acquireDevice().catch(() => null);
if (!acquired) console.log(`[skip] raw webgpu fusedLinearKdLoss: ${available.webgpu ?? 'no device'}`);

(acquired ? describe : describe.skip)('kd-kernels/webgpu: fusedLinearKdLoss on the caller\'s buffers, one submit', () => {
  it('matches the cpu Tensor API: rows, gradHidden, gradWeight (added to), gradBias', async () => {
    const device = acquired!.device;
    const tol = TOLERANCES.webgpu;
    const USAGE = 128 | 4 | 8; // STORAGE | COPY_SRC | COPY_DST
    const buf = (data: Float32Array | Int32Array) => {
      const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: USAGE });
      device.queue.writeBuffer(b, 0, data);
      return b;
    };
    const out = (n: number) => buf(new Float32Array(n));
    const kernels = createKernels(device);
    const b = {
      studentHidden: buf(hs), studentWeight: buf(ws), studentBias: buf(bs), teacherHidden: buf(ht), teacherWeight: buf(wt),
      labels: buf(labels), softRow: out(N), hardRow: out(N), gradHidden: out(N * Hs), gradWeight: out(V * Hs), gradBias: out(V),
    };
    const enc = device.createCommandEncoder();
    kernels.fusedLinearKdLoss(enc, { ...raw, ...b });
    device.queue.submit([enc.finish()]);
    const read = async (src: GPUBuffer, n: number) => {
      const st = device.createBuffer({ size: n * 4, usage: 1 | 8 }); // MAP_READ | COPY_DST
      const e = device.createCommandEncoder();
      e.copyBufferToBuffer(src, 0, st, 0, n * 4);
      device.queue.submit([e.finish()]);
      await st.mapAsync(1);
      const a = new Float32Array(st.getMappedRange().slice(0));
      st.unmap();
      return a;
    };
    const ref = reference();
    const [soft, hard] = [await read(b.softRow, N), await read(b.hardRow, N)];
    const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);
    expectArrayClose([alpha * sum(soft) + (1 - alpha) * sum(hard)], [ref.loss], 'loss', tol);
    expectArrayClose(await read(b.gradHidden, N * Hs), ref.gh, 'gradHidden', tol);
    expectArrayClose(await read(b.gradWeight, V * Hs), ref.gw, 'gradWeight', tol);
    expectArrayClose(await read(b.gradBias, V), ref.gb, 'gradBias', tol);
    if (acquired!.owned) device.destroy();
  });
});
