/** Class weights for cross-entropy: given as a Tensor [C], Float32Array or number[]. */
import type { Backend, Storage } from '../backends/backend.js';
import { describe, isTensor } from '../kernels/validate.js';

export type ClassWeights = Float32Array | number[] | { dataSync(): Float32Array | Int32Array; size: number };

export interface ResolvedWeights {
  host: Float32Array;
  storage: Storage;
  release(): void;
}

export function classWeights(w: unknown, classes: number, be: Backend): ResolvedWeights | null {
  if (w === undefined || w === null) return null;
  let host: Float32Array;
  if (w instanceof Float32Array) host = w;
  else if (Array.isArray(w)) host = Float32Array.from(w as number[]);
  else if (isTensor(w)) {
    if (!w.backend.sync) throw new TypeError('weight: pass class weights as a Float32Array or number[] on the webgpu backend');
    host = w.dataSync() as Float32Array;
  } else throw new TypeError(`weight must be a Tensor, Float32Array or number[] of length ${classes}, got ${describe(w)}`);
  if (host.length !== classes) throw new RangeError(`weight must have ${classes} entries (one per class), got ${host.length}`);
  for (let i = 0; i < host.length; i++) {
    if (!Number.isFinite(host[i]) || host[i] < 0) throw new RangeError(`weight[${i}] must be finite and >= 0, got ${host[i]}`);
  }
  const storage = be.upload(host);
  return { host, storage, release: () => be.dispose(storage) };
}
