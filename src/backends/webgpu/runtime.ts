/**
 * The webgpu backend's runtime: storages from a buffer pool, one command encoder that batches
 * every dispatch until a read (or a large batch) submits it, reads through a staging buffer, and
 * failure handling (device lost or an uncaptured error: pending reads reject, later calls throw).
 */
import type { DType, Storage } from '../backend.js';
import { KernelContext, MapRead, Usage } from './context.js';
import { BufferPool, GpuStorage, STORAGE_USAGE, gpu } from './storage.js';

/** Submit on its own once this many kernels are pending, so the GPU starts early. */
const MAX_BATCH = 256;

/**
 * Readback staging buffers kept for reuse, at most this many bytes in all (beyond, a buffer is
 * destroyed after its read): a new mappable buffer costs an allocation and a zero-fill per read.
 */
const MAX_STAGING_BYTES = 1024 * 1024 * 1024;

/**
 * Counters for tests and profiling: readbacks (GPU -> host copies), submits, encoded kernels,
 * uploads, and buffers created (GPUBuffers of any kind; 0 per training step once warm); bytes /
 * peakBytes: the storage and scratch buffers in use (acquired from the pool, not released), now
 * and at their peak.
 */
export interface GpuStats {
  reads: number;
  submits: number;
  kernels: number;
  uploads: number;
  readonly buffers: number;
  readonly bytes: number;
  readonly peakBytes: number;
}

export class GpuRuntime {
  readonly ctx: KernelContext;
  readonly stats: GpuStats;
  readonly pool: BufferPool;
  private enc: GPUCommandEncoder | null = null;
  /** The caller's encoder while encodeInto() runs (raw layer): every command goes there, unsubmitted. */
  private external: GPUCommandEncoder | null = null;
  private pending = 0;
  private failure: Error | null = null;
  private rejectors = new Set<(e: Error) => void>();
  private destroyed = false;
  /** Idle MAP_READ staging buffers by size (bucketed like the storage pool), reused by read(). */
  private staging = new Map<number, GPUBuffer[]>();
  private stagingBytes = 0;

  constructor(readonly device: GPUDevice, private owned: boolean, opts: { subgroups?: boolean } = {}) {
    const ctx = new KernelContext(device, opts);
    this.ctx = ctx;
    const pool = new BufferPool((size) => ctx.createBuffer({ size, usage: STORAGE_USAGE }), ctx.maxBinding);
    this.pool = pool;
    this.stats = {
      reads: 0, submits: 0, kernels: 0, uploads: 0, get buffers() { return ctx.count.buffers; },
      get bytes() { return pool.liveBytes; }, get peakBytes() { return pool.peakBytes; },
    };
    this.ctx.scratch = (bytes) => {
      this.ctx.checkBinding(bytes, 'a scratch buffer');
      return this.pool.acquire(bytes).buffer;
    };
    this.ctx.release = (b) => this.pool.release(b);
    void device.lost.then((info) => {
      if (this.destroyed && info.reason === 'destroyed') return this.fail(new Error('kd-kernels/webgpu: the backend was destroyed'));
      this.fail(new Error(`kd-kernels/webgpu: the GPU device was lost (${info.reason}): ${info.message}`));
    });
    const onError = (ev: Event): void => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.fail(new Error(`kd-kernels/webgpu: uncaptured WebGPU error: ${err?.message ?? String(err)}`));
    };
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const r of this.rejectors) r(this.failure);
    this.rejectors.clear();
  }

  /** Throws the failure, if the device has failed. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  // ---- storage ---------------------------------------------------------------------------

  alloc(size: number, dtype: DType = 'float32'): GpuStorage {
    this.check();
    this.ctx.checkBinding(size * 4, `a tensor of ${size} elements`);
    return new GpuStorage(this.pool.acquire(size * 4).buffer, size, dtype);
  }

  upload(data: Float32Array | Int32Array): Storage {
    this.check();
    this.ctx.checkBinding(data.byteLength, `a tensor of ${data.length} elements`);
    this.stats.uploads++;
    const { buffer, reused } = this.pool.acquire(data.byteLength);
    // queue.writeBuffer runs before unsubmitted commands, which may still read a reused buffer.
    if (reused && this.pending > 0) this.flush();
    if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return new GpuStorage(buffer, data.length, data instanceof Int32Array ? 'int32' : 'float32');
  }

  zeros(size: number, dtype: DType): Storage {
    const s = this.alloc(size, dtype);
    if (size > 0) this.encoder().clearBuffer(s.buffer!, 0, Math.ceil((size * 4) / 4) * 4);
    return s;
  }

  dispose(s: Storage): void {
    if (!(s instanceof GpuStorage) || !s.buffer) return;
    this.pool.release(s.buffer);
    s.buffer = null;
  }

  /** Gives a scratch buffer back to the pool (every later use is GPU-ordered after this one). */
  release(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  buf(s: Storage): GPUBuffer {
    return gpu(s);
  }

  // ---- encoding ----------------------------------------------------------------------------

  /** Runs fn with every command encoded into the caller's `enc`; the caller submits. */
  encodeInto<T>(enc: GPUCommandEncoder, fn: () => T): T {
    this.external = enc;
    try {
      return fn();
    } finally {
      this.external = null;
    }
  }

  /** The batch's encoder; each call counts as one kernel toward the batch size. */
  encoder(): GPUCommandEncoder {
    this.check();
    if (this.external) {
      this.stats.kernels++;
      return this.external;
    }
    if (this.pending >= MAX_BATCH) this.flush();
    if (!this.enc) this.enc = this.device.createCommandEncoder({ label: 'kd-kernels batch' });
    this.pending++;
    this.stats.kernels++;
    return this.enc;
  }

  flush(): void {
    if (!this.enc) return;
    const cb = this.enc.finish();
    this.enc = null;
    this.pending = 0;
    this.device.queue.submit([cb]);
    this.stats.submits++;
    this.pool.bury();
  }

  /**
   * GPU -> host: one copy into a reused MAP_READ staging buffer, map it, and one memcpy of the mapped
   * range into a fresh ArrayBuffer (ArrayBuffer.slice: no zero-fill, no second copy) that the
   * caller owns.
   */
  async read(s: Storage): Promise<Float32Array | Int32Array> {
    this.check();
    const src = gpu(s);
    const Arr = s.dtype === 'int32' ? Int32Array : Float32Array;
    this.stats.reads++;
    if (s.size === 0) return new Arr(0);
    const bytes = s.size * 4;
    const staging = this.acquireStaging(bytes);
    this.encoder().copyBufferToBuffer(src, 0, staging, 0, bytes);
    this.flush();
    let reject!: (e: Error) => void;
    const failed = new Promise<never>((_, r) => { reject = r; });
    this.rejectors.add(reject);
    let out: Float32Array | Int32Array;
    try {
      await Promise.race([staging.mapAsync(MapRead, 0, bytes), failed]);
      out = new Arr(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
    } catch (e) {
      staging.destroy();
      throw e;
    } finally {
      this.rejectors.delete(reject);
    }
    this.releaseStaging(staging);
    this.check();
    return out;
  }

  private acquireStaging(bytes: number): GPUBuffer {
    const size = this.pool.bucket(bytes);
    const hit = this.staging.get(size)?.pop();
    if (hit) {
      this.stagingBytes -= size;
      return hit;
    }
    return this.ctx.createBuffer({ label: 'kd-kernels readback', size, usage: Usage.MAP_READ | Usage.COPY_DST });
  }

  private releaseStaging(b: GPUBuffer): void {
    if (this.destroyed || this.stagingBytes + b.size > MAX_STAGING_BYTES) {
      b.destroy();
      return;
    }
    let list = this.staging.get(b.size);
    if (!list) this.staging.set(b.size, (list = []));
    list.push(b);
    this.stagingBytes += b.size;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try { this.flush(); } catch { /* failing device */ }
    this.pool.clear();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.stagingBytes = 0;
    this.fail(new Error('kd-kernels/webgpu: the backend was destroyed'));
    if (this.owned) this.device.destroy();
  }
}
