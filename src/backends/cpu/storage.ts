import type { DType, Storage } from '../backend.js';

/** Host memory storage, shared by the `cpu` and `native` backends. */
export class HostStorage implements Storage {
  readonly size: number;
  readonly dtype: DType;
  /**
   * True once `data` is seen outside kd-kernels (a caller's array adopted by tensor(..., { copy:
   * false }), or handed out by Tensor.hostView()): dispose() then never pools it for reuse.
   */
  shared = false;
  constructor(public data: Float32Array | Int32Array) {
    this.size = data.length;
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
  }
}

export function host(s: Storage): HostStorage {
  if (!(s instanceof HostStorage)) throw new TypeError('expected a host (cpu/native) storage');
  return s;
}

/** The float32 array behind a host storage. */
export function f32(s: Storage): Float32Array {
  const d = host(s).data;
  if (!(d instanceof Float32Array)) throw new TypeError('expected a float32 storage');
  return d;
}

/** The int32 array behind a host storage. */
export function i32(s: Storage): Int32Array {
  const d = host(s).data;
  if (!(d instanceof Int32Array)) throw new TypeError('expected an int32 storage');
  return d;
}

export const wrap = (d: Float32Array | Int32Array): HostStorage => new HostStorage(d);

/**
 * A pool of freed float32 arrays keyed by length. Fresh pages cost ~15 ms per 32 MiB, so kernels on
 * the hot path take their outputs from here (`allocF32`, contents undefined) and `dispose` gives
 * them back. Bounded so a burst of frees cannot pin unbounded memory.
 */
const pool = new Map<number, Float32Array[]>();
let pooledBytes = 0;
const MAX_POOLED_BYTES = 512 * 1024 * 1024;

export function allocF32(n: number): Float32Array {
  const free = pool.get(n);
  const a = free?.pop();
  if (a) {
    pooledBytes -= a.byteLength;
    return a;
  }
  return new Float32Array(n);
}

export function releaseF32(a: Float32Array): void {
  if (a.length === 0 || pooledBytes + a.byteLength > MAX_POOLED_BYTES) return;
  let free = pool.get(a.length);
  if (!free) pool.set(a.length, (free = []));
  free.push(a);
  pooledBytes += a.byteLength;
}
