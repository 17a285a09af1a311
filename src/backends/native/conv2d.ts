/**
 * 2-D convolution (NCHW cross-correlation, stride, zero padding, groups) on the `native` backend,
 * same definitions as src/backends/cpu/conv2d.ts:
 * - forward: per image and group, im2col into a reused thread-local buffer, then the blocked GEMM
 *   y_g = W_g [cOut/g, cIn/g*kh*kw] x col [cIn/g*kh*kw, hOut*wOut] (1x1 stride-1 convs skip
 *   im2col); depthwise (cIn/groups = 1) runs direct vectorised loops. Images split over threads.
 * - dx: col = W_g^T g_g by GEMM, scattered back by col2im; dw: g_g col^T accumulated image by image
 *   (output channels split over threads); dbias: per-channel sums.
 */
import type { ConvShape, Storage } from '../backend.js';
import { allocF32, f32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

type Shape12 = [number, number, number, number, number, number, number, number, number, number, number, number];

interface ConvAddon {
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, ...shape: Shape12): void;
  conv2dBackward(g: Float32Array, x: Float32Array, w: Float32Array, dx: Float32Array | null, dw: Float32Array | null,
    dbias: Float32Array | null, ...shape: Shape12): void;
}

const addon = (): ConvAddon => loadAddon() as unknown as ConvAddon;

function shape(s: ConvShape): Shape12 {
  return [s.n, s.cIn, s.h, s.w, s.cOut, s.kh, s.kw, s.stride, s.padding, s.groups, s.hOut, s.wOut];
}

function data(s: Storage, n: number): Float32Array {
  const d = f32(s);
  return d.length === n ? d : d.subarray(0, n);
}

export function conv2d(x: Storage, w: Storage, bias: Storage | null, s: ConvShape): Storage {
  const y = allocF32(s.n * s.cOut * s.hOut * s.wOut);
  addon().conv2d(
    data(x, s.n * s.cIn * s.h * s.w), data(w, (s.cOut * s.cIn / s.groups) * s.kh * s.kw),
    bias ? data(bias, s.cOut) : null, y, ...shape(s));
  return wrap(y);
}

export function conv2dBackward(
  g: Storage, x: Storage, w: Storage, s: ConvShape,
  need: { x: boolean; w: boolean; bias: boolean },
): { dx?: Storage; dw?: Storage; dbias?: Storage } {
  const xLen = s.n * s.cIn * s.h * s.w;
  const wLen = (s.cOut * s.cIn / s.groups) * s.kh * s.kw;
  const dx = need.x ? allocF32(xLen) : null;
  const dw = need.w ? allocF32(wLen) : null;
  const dbias = need.bias ? allocF32(s.cOut) : null;
  addon().conv2dBackward(
    data(g, s.n * s.cOut * s.hOut * s.wOut), data(x, xLen), data(w, wLen), dx, dw, dbias, ...shape(s));
  const out: { dx?: Storage; dw?: Storage; dbias?: Storage } = {};
  if (dx) out.dx = wrap(dx);
  if (dw) out.dw = wrap(dw);
  if (dbias) out.dbias = wrap(dbias);
  return out;
}
