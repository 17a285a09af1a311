/**
 * 2-D max pooling without padding on the `native` backend, same definitions as
 * src/backends/cpu/maxpool2d.ts: the first maximum of a window (row-major) wins, a NaN always wins;
 * argmax holds flat input indices (int32). The backward adds g into dx at argmax (each index is
 * checked to lie in its own (n, c) plane before any write). Planes split over threads.
 */
import type { PoolShape, Storage } from '../backend.js';
import { allocF32, f32, i32, wrap } from '../cpu/storage.js';
import { loadAddon } from './addon.js';

type Shape8 = [number, number, number, number, number, number, number, number];

interface PoolAddon {
  maxPool2d(x: Float32Array, y: Float32Array, argmax: Int32Array, ...shape: Shape8): void;
  maxPool2dBackward(g: Float32Array, argmax: Int32Array, dx: Float32Array, ...shape: Shape8): void;
}

const addon = (): PoolAddon => loadAddon() as unknown as PoolAddon;

function shape(s: PoolShape): Shape8 {
  return [s.n, s.c, s.h, s.w, s.kernel, s.stride, s.hOut, s.wOut];
}

export function maxPool2d(x: Storage, s: PoolShape): { y: Storage; argmax: Storage } {
  const outLen = s.n * s.c * s.hOut * s.wOut;
  const inLen = s.n * s.c * s.h * s.w;
  const y = allocF32(outLen);
  const argmax = new Int32Array(outLen);
  const d = f32(x);
  addon().maxPool2d(d.length === inLen ? d : d.subarray(0, inLen), y, argmax, ...shape(s));
  return { y: wrap(y), argmax: wrap(argmax) };
}

export function maxPool2dBackward(g: Storage, argmax: Storage, s: PoolShape): Storage {
  const outLen = s.n * s.c * s.hOut * s.wOut;
  const dx = allocF32(s.n * s.c * s.h * s.w);
  const G = f32(g);
  const A = i32(argmax);
  addon().maxPool2dBackward(G.length === outLen ? G : G.subarray(0, outLen),
    A.length === outLen ? A : A.subarray(0, outLen), dx, ...shape(s));
  return wrap(dx);
}
