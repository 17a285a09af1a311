import type { DType, Storage } from '../backend.js';

/** Host memory storage, shared by the `cpu` and `native` backends. */
export class HostStorage implements Storage {
  readonly size: number;
  readonly dtype: DType;
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
