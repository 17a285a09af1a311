/**
 * Per-tensor affine fake quantisation on the `native` backend (native/kernels/generic/
 * fake_quantize_impl.h): the same definition as src/backends/cpu/fake_quantize.ts, to the bit
 * (float32 reciprocal, round half to even by the ISA's nearest-even rounding).
 */
import type { FakeQuantizeParams, Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

interface FakeQuantizeAddon {
  fakeQuantize(x: Float32Array, size: number, scale: number, zeroPoint: number, qmin: number, qmax: number,
    y: Float32Array, mask: Float32Array): void;
}

export function fakeQuantize(x: Storage, size: number, p: FakeQuantizeParams): { y: Storage; mask: Storage } {
  const y = allocF32(size);
  const mask = allocF32(size);
  const d = f32(x);
  (loadAddon() as unknown as FakeQuantizeAddon).fakeQuantize(
    d.length === size ? d : d.subarray(0, size), size, p.scale, p.zeroPoint, p.qmin, p.qmax, y, mask,
  );
  return { y: wrap(y), mask: wrap(mask) };
}
