/**
 * Reading and creating tensors without copies: data()/dataSync() return copies of the dtype's array,
 * hostView() returns the tensor's own memory (cpu, native) with the documented lifetime, and
 * tensor(data, shape, { copy: false }) adopts the caller's array. On webgpu, data() (the readback
 * through reused staging buffers) returns the right values for sizes that share a staging buffer.
 */
import { expect, it } from 'vitest';
import { optim, tensor, zeros } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { uniformInputs } from '../harness/inputs.js';

describeEachBackend('zero copy', ({ name }) => {
  const host = name !== 'webgpu';

  it('data() and dataSync() return a copy of the dtype\'s array', async () => {
    const x = uniformInputs(1, 1000, -3, 3);
    const t = tensor(x, [10, 100]);
    const d = await t.data();
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual(Array.from(x));
    d.fill(7); // the caller's to modify
    expect(Array.from(await t.data())).toEqual(Array.from(x));
    const labels = tensor(Int32Array.from([3, -100, 0, 9]), [4]);
    const l = await labels.data();
    expect(l).toBeInstanceOf(Int32Array);
    expect(Array.from(l)).toEqual([3, -100, 0, 9]);
    if (host) {
      const s = t.dataSync();
      expect(s).toBeInstanceOf(Float32Array);
      expect(s.buffer).not.toBe(t.hostView().buffer);
      expect(labels.dataSync()).toBeInstanceOf(Int32Array);
    } else {
      expect(() => t.dataSync()).toThrow(/await tensor\.data\(\)/);
    }
  });

  it('data() reads large tensors and sizes that share a staging buffer', async () => {
    // 1 MiB + 12 bytes, then a smaller and a larger size in the same MiB bucket, then the first again.
    for (const n of [(1 << 18) + 3, (1 << 18) + 1, (1 << 18) + 200, (1 << 18) + 3, 5, 0]) {
      const x = uniformInputs(n, n, -1, 1);
      const y = tensor(x, [n]).mul(2);
      const d = await y.data();
      expect(d.length).toBe(n);
      let bad = -1;
      for (let i = 0; i < n; i++) if (d[i] !== x[i] * 2) { bad = i; break; }
      expect(bad, `first wrong element of ${n}`).toBe(-1);
    }
  });

  it('hostView() is the tensor\'s memory: it follows in-place writes and outlives dispose()', () => {
    if (!host) {
      expect(() => zeros([2]).hostView()).toThrow(/no host view|not available/);
      return;
    }
    const p = tensor([1, 2, 3, 4], [4], { requiresGrad: true });
    const view = p.hostView();
    expect(view).toBeInstanceOf(Float32Array);
    expect(p.hostView()).toBe(view); // no copy, the same array each time
    const r = p.reshape([2, 2]);
    expect(r.hostView()).toBe(view);
    r.dispose();
    p.mul(p).sum().backward(); // grad = 2p
    const g = p.grad!.hostView();
    expect(Array.from(g)).toEqual([2, 4, 6, 8]);
    new optim.SGD([p], { lr: 0.5 }).step(); // p -= 0.5 * 2p, in place
    expect(Array.from(view)).toEqual([0, 0, 0, 0]);
    p.dispose();
    // Freed memory that was viewed is never pooled: new outputs of the same size do not land in it.
    const outs = Array.from({ length: 8 }, () => tensor([5, 6, 7, 8], [4]).add(tensor([1, 1, 1, 1], [4])));
    expect(Array.from(view)).toEqual([0, 0, 0, 0]);
    expect(outs.every((o) => o.hostView() !== view)).toBe(true);
  });

  it('tensor(data, shape, { copy: false }) adopts the caller\'s array', async () => {
    const a = Float32Array.from([1, -2, 3, -4, 5, -6]);
    const t = tensor(a, [2, 3], { copy: false });
    expect(Array.from(await t.data())).toEqual([1, -2, 3, -4, 5, -6]);
    const labels = Int32Array.from([2, 0]);
    const y = tensor(labels, [2], { dtype: 'int32', copy: false });
    expect(Array.from(await y.data())).toEqual([2, 0]);
    if (host) {
      expect(t.hostView()).toBe(a);
      expect(y.hostView()).toBe(labels);
      a[0] = 10; // documented: a write by the caller is a write to the tensor
      expect(t.dataSync()[0]).toBe(10);
      t.dispose();
      // An adopted array is never pooled: later kernel outputs of its size do not overwrite it.
      const outs = Array.from({ length: 8 }, () => tensor(new Float32Array(6).fill(9), [2, 3]).mul(tensor([2, 2, 2, 2, 2, 2], [2, 3])));
      expect(Array.from(a)).toEqual([10, -2, 3, -4, 5, -6]);
      expect(outs.every((o) => o.hostView() !== a)).toBe(true);
    } else {
      a[0] = 10; // webgpu copied it to the GPU
      expect((await t.data())[0]).toBe(1);
    }
  });

  it('tensor(..., { copy: false }) rejects what it cannot adopt', () => {
    expect(() => tensor([1, 2, 3], [3], { copy: false })).toThrow(TypeError);
    expect(() => tensor([1, 2, 3], [3], { copy: false })).toThrow(/adopts a Float32Array/);
    expect(() => tensor(new Int32Array(3), [3], { dtype: 'float32', copy: false })).toThrow(/Float32Array for dtype 'float32'/);
    expect(() => tensor(new Float32Array(3), [3], { dtype: 'int32', copy: false })).toThrow(/Int32Array for dtype 'int32'/);
    expect(() => tensor(new Float32Array(5), [2, 3], { copy: false })).toThrow(RangeError);
    expect(() => tensor(new Float32Array(3), [3], { copy: 'no' as unknown as boolean })).toThrow(/copy must be a boolean/);
  });
});
