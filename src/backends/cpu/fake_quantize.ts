/**
 * Per-tensor affine fake quantisation on the `cpu` backend, the definition the other backends are
 * tested against (torch.fake_quantize_per_tensor_affine, see FakeQuantizeParams):
 *
 *   inv  = float32(1 / s)                     s = float32(scale)
 *   q    = roundHalfEven(float32(x * inv)) + zeroPoint
 *   y    = float32((clamp(q, qmin, qmax) - zeroPoint) * s)
 *   mask = qmin <= q <= qmax ? 1 : 0          (the straight-through gradient is g * mask)
 *
 * float32(x * inv) is the float32 product (the double product of two float32 is exact); NaN stays
 * NaN (mask 0), +-Infinity clamps to qmax / qmin (mask 0).
 */
import type { FakeQuantizeParams, Storage } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

/** Round half to even (IEEE roundTiesToEven, C's nearbyint): Math.round rounds ties up. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function fakeQuantize(x: Storage, size: number, p: FakeQuantizeParams): { y: Storage; mask: Storage } {
  const X = f32(x);
  const y = allocF32(size);
  const mask = allocF32(size);
  // 1. The float32 scale and its float32 reciprocal, as PyTorch computes them.
  const s = Math.fround(p.scale);
  const inv = Math.fround(1 / s);
  for (let i = 0; i < size; i++) {
    // 2. The integer level (NaN stays NaN, +-Infinity stays infinite).
    const q = roundHalfEven(Math.fround(X[i] * inv)) + p.zeroPoint;
    // 3. In range: the gradient passes; clamp (Math.max / Math.min keep NaN) and scale back.
    mask[i] = q >= p.qmin && q <= p.qmax ? 1 : 0;
    y[i] = (Math.min(Math.max(q, p.qmin), p.qmax) - p.zeroPoint) * s;
  }
  return { y: wrap(y), mask: wrap(mask) };
}
