/** GPU storage of the webgpu backend (a GPUBuffer + element count + dtype) and its buffer pool. */
import type { DType, Storage } from '../backend.js';
import { Usage } from './context.js';

export class GpuStorage implements Storage {
  constructor(
    public buffer: GPUBuffer | null,
    readonly size: number,
    readonly dtype: DType,
  ) {}
}

export function gpu(s: Storage): GPUBuffer {
  if (!(s instanceof GpuStorage)) throw new TypeError('kd-kernels/webgpu: expected a webgpu storage');
  if (!s.buffer) throw new Error('kd-kernels/webgpu: storage used after dispose()');
  return s.buffer;
}

export const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/**
 * Freed buffers keyed by their (bucketed) byte size, bounded. Reusing a freed buffer in later
 * commands is safe because WebGPU orders commands; only queue.writeBuffer jumps ahead of
 * unsubmitted commands, so the backend submits pending work before uploading into a reused buffer.
 *
 * The bound follows the work: the pool keeps up to the peak of live (acquired, not released) bytes
 * seen so far, at least `minPooled`. A training step that frees what the next step allocates (a
 * 1 GB gradient at 8192x32000) thus reuses it instead of destroying and creating it (and having
 * the implementation zero-fill it) every step, and pooled plus live memory stays within twice the
 * peak the caller already needed.
 */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pooled = 0;
  private live = 0;
  private peak = 0;
  constructor(
    private create: (size: number) => GPUBuffer,
    private maxBinding: number,
    private minPooled = 512 * 1024 * 1024,
  ) {}

  /** Bytes acquired and not released (in use), and their peak: the memory the work needs. */
  get liveBytes(): number {
    return this.live;
  }

  get peakBytes(): number {
    return this.peak;
  }

  /** Bucket: powers of two up to 1 MiB, then whole MiB; never past the binding limit. */
  bucket(bytes: number): number {
    const b = Math.max(16, Math.ceil(bytes / 4) * 4);
    let r = b <= 1 << 20 ? 2 ** Math.ceil(Math.log2(b)) : Math.ceil(b / (1 << 20)) * (1 << 20);
    if (r > this.maxBinding && b <= this.maxBinding) r = b;
    return r;
  }

  /** A buffer of at least `bytes`; `reused` tells whether it came from the pool. */
  acquire(bytes: number): { buffer: GPUBuffer; reused: boolean } {
    const size = this.bucket(bytes);
    const list = this.free.get(size);
    const hit = list?.pop();
    this.live += size;
    this.peak = Math.max(this.peak, this.live);
    if (hit) {
      this.pooled -= size;
      return { buffer: hit, reused: true };
    }
    return { buffer: this.create(size), reused: false };
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    this.live -= size;
    if (this.pooled + size > Math.max(this.minPooled, this.peak)) {
      // Unsubmitted commands may still use it: destroyed after the next submit.
      this.graveyard.push(buf);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.pooled += size;
  }

  /** Buffers to destroy once the commands that use them are submitted. */
  graveyard: GPUBuffer[] = [];

  /** Called right after a submit. */
  bury(): void {
    for (const b of this.graveyard) b.destroy();
    this.graveyard = [];
  }

  clear(): void {
    this.bury();
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
  }
}
